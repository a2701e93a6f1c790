import Foundation
import Parallelism
import SAM
import Tensor

/// What to optimize and how: the loss (cross-entropy + diceWeight x Dice, or focal + Dice), AdamW with a warm-up and
/// exponential decay, gradient clipping, seeded batches.
public struct TrainingSettings: Sendable, Equatable {
    public enum Loss: String, Sendable, CaseIterable { case crossEntropyDice = "ce-dice", focalDice = "focal-dice" }

    public var steps = 300, batch = 4
    public var learningRate = 1e-3, warmupFraction = 0.1, finalLearningRate = 0.05
    public var weightDecay = 0.01, clipNorm = 1.0, diceWeight = 0.8
    public var loss: Loss = .crossEntropyDice
    public var seed: UInt64 = 0

    public init() {}
}

/// One step's record (the log CSV's row).
public struct TrainingStep: Sendable {
    public let step: Int, loss: Double, learningRate: Double, gradientNorm: Double, seconds: Double

    public init(step: Int, loss: Double, learningRate: Double, gradientNorm: Double, seconds: Double) {
        (self.step, self.loss, self.learningRate, self.gradientNorm, self.seconds) = (step, loss, learningRate, gradientNorm, seconds)
    }

    public static let csvHeader = "step,loss,learning_rate,gradient_norm,seconds"

    public var csvRow: String { String(format: "%d,%.6f,%.6g,%.6g,%.3f", step, loss, learningRate, gradientNorm, seconds) }

    /// A row of the log CSV read back (a resumed run's earlier steps).
    public init?(csvRow: String) {
        let f = csvRow.split(separator: ",").map { Double($0) }
        guard f.count == 5, let step = f[0], let loss = f[1], let rate = f[2], let norm = f[3], let seconds = f[4] else { return nil }
        self.init(step: Int(step), loss: loss, learningRate: rate, gradientNorm: norm, seconds: seconds)
    }
}

/// Trains what a TrainableModel adapts (LoRA factors, adapters or singular-value tunings); the rest stays frozen.
public struct AdapterTrainer {
    public var model: TrainableModel
    public let settings: TrainingSettings
    public internal(set) var optimizer: AdamW
    public private(set) var step = 0

    public init(model: TrainableModel, settings: TrainingSettings) {
        (self.model, self.settings) = (model, settings)
        optimizer = AdamW(weightDecay: settings.weightDecay)
    }

    /// Continues from `step` (a restored checkpoint's).
    mutating func resume(at step: Int) { self.step = step }

    /// The loss of one sample's logits and its gradient with respect to them.
    public static func loss(logits: [Float], target: [Float], settings: TrainingSettings) -> (loss: Double, gradient: [Float]) {
        let z = logits.map(Double.init), t = target.map(Double.init)
        let main = settings.loss == .crossEntropyDice ? SegmentationLoss.crossEntropy(logits: z, target: t)
            : SegmentationLoss.focal(logits: z, target: t)
        let dice = SegmentationLoss.dice(logits: z, target: t)
        let gradient = zip(main.gradient, dice.gradient).map { Float($0 + settings.diceWeight * $1) }
        return (main.loss + settings.diceWeight * dice.loss, gradient)
    }

    /// Runs the remaining steps (up to step `until` when given) over `samples` (batches drawn with the step's own
    /// seeded generator, so a resumed run draws what an uninterrupted one would); `progress` hears each step, and
    /// returning false stops after it.
    public mutating func train(_ samples: [TrainingSample], until: Int? = nil, progress: (TrainingStep) -> Bool = { _ in true }) {
        precondition(!samples.isEmpty, "no training samples")
        let schedule = LearningRateSchedule(peak: settings.learningRate, warmup: max(1, Int(Double(settings.steps) * settings.warmupFraction)),
                                            total: settings.steps, final: settings.finalLearningRate)
        while step < min(settings.steps, until ?? settings.steps) {
            let started = Date()
            var random = SeededRandom(seed: settings.seed, label: 0, slice: step)
            let batch = (0..<settings.batch).map { _ in samples[random.below(samples.count)] }
            let (current, options) = (model, settings)
            let results = ParallelLoop.jobs(count: batch.count) { current.lossAndGradients(batch[$0], settings: options) }
            var gradients: [String: [Float]] = [:]
            for (_, g) in results {
                for (name, values) in g { gradients[name] = gradients[name].map { zip($0, values).map { $0 + $1 } } ?? values }
            }
            let scale = 1 / Float(batch.count)
            for name in gradients.keys { gradients[name] = gradients[name]!.map { $0 * scale } }
            let norm = GradientClipping.clip(&gradients, maximum: settings.clipNorm)
            let rate = schedule.rate(at: step)
            var adam = optimizer
            adam.beginStep()
            model.visitTrainable { name, values in
                if let gradient = gradients[name] { adam.update(name, &values, gradient: gradient, learningRate: rate) }
            }
            optimizer = adam
            step += 1
            let record = TrainingStep(step: step, loss: results.map(\.loss).reduce(0, +) / Double(results.count), learningRate: rate,
                                      gradientNorm: norm, seconds: Date().timeIntervalSince(started))
            if !progress(record) { return }
        }
    }
}
