import Foundation
import SAM
import Training

/// What a `volsam finetune` run did: the targets, exemplars, synthesized slices, samples, every step, the files.
public struct FinetuneReport {
    public var method: AdaptationMethod = .lora
    public var place: AdaptationPlace = .decoder
    public var targets: [String] = []
    public var cases = 0
    public var exemplars: [Exemplar] = []
    public var synthesized = 0
    public var samples = 0
    public var steps: [TrainingStep] = []
    public var stepsPerEpoch = 1
    /// Held-out slices and their scores before training and after each epoch.
    public var validation: [Exemplar] = []
    public var scores: [ValidationScore] = []
    public var written: [String] = []
    public var encodingSeconds = 0.0, seconds = 0.0

    public init() {}

    /// The mean loss of the first and the last (up to) 10 steps.
    public var loss: (first: Double, last: Double) {
        func mean(_ s: ArraySlice<TrainingStep>) -> Double { s.isEmpty ? .nan : s.map(\.loss).reduce(0, +) / Double(s.count) }
        return (mean(steps.prefix(10)), mean(steps.suffix(10)))
    }

    public var trainingSeconds: Double { steps.map(\.seconds).reduce(0, +) }

    /// The summary `volsam finetune` prints.
    public var text: String {
        String(format: "%@%@ for %@: %d exemplar slice%@ from %d case%@ and %d synthesized, %d samples; %d steps in %.1f s (%.2f s a step; "
               + "encoding %.1f s); loss %.4f -> %.4f (first and last 10 steps)\nwrote %@",
               ["lora": "LoRA", "adapter": "Med-SA adapters", "svd": "S-SAM"][method.rawValue]!,
               place == .decoder ? "" : " (\(place == .encoder ? "encoder" : "encoder and decoder"))", targets.joined(separator: ", "), exemplars.count, exemplars.count == 1 ? "" : "s", cases, cases == 1 ? "" : "s", synthesized,
               samples, steps.count, trainingSeconds, trainingSeconds / Double(max(1, steps.count)), encodingSeconds,
               loss.first, loss.last, written.joined(separator: ", "))
            + (scores.count >= 2 ? "\nvalidation Dice on \(validation.count) held-out slices: \(scores.first!.text) before, \(scores.last!.text) after" : "")
    }

    /// The summary as JSON.
    public func object() -> [String: Any] {
        ["method": method.rawValue, "where": place.rawValue, "targets": targets, "cases": cases, "exemplars": exemplars.map { ["case": $0.caseIndex, "slice": $0.slice] },
         "synthesized": synthesized, "samples": samples, "steps": steps.count, "loss_first": loss.first, "loss_last": loss.last,
         "epochs": Double(steps.count) / Double(stepsPerEpoch),
         "validation": scores.map(\.object),
         "encoding_seconds": encodingSeconds, "training_seconds": trainingSeconds, "seconds": seconds, "written": written]
    }
}
