import Foundation
import Parallelism
import SAM
import Tensor

/// A frozen image embedding kept in half precision (2 MB for LiteMedSAM's 64 x 64 x 256, so a thousand
/// synthesized slices fit in 2 GB), shared by the samples of a slice; widened to Float when a sample is used.
public final class StoredEmbedding: Sendable {
    public let rows: Int, columns: Int
    let values: [Float16]

    public init(_ matrix: Matrix<Float>) {
        (rows, columns) = (matrix.rows, matrix.columns)
        values = matrix.values.map { Float16($0) }
    }

    public var matrix: Matrix<Float> { Matrix(rows: rows, columns: columns, values: values.map { Float($0) }) }
}

/// A 0/1 target mask kept as bytes (a quarter of its Float size), shared by the prompts of a target.
public final class StoredTarget: Sendable {
    let bytes: [UInt8]

    public init(_ values: [Float]) { bytes = values.map { $0 > 0.5 ? 1 : 0 } }

    public var values: [Float] { bytes.map { Float($0) } }
}

/// One training sample of the decoder: a frozen slice embedding (shared by the prompts of a slice), a prompt's sparse
/// tokens and dense embedding, and the target mask in the model's frame (frame x frame, 0/1, zero in the padding;
/// shared by the prompts of a target).
public struct DecoderSample: Sendable {
    /// The kind of prompt (validation reports each kind's Dice).
    public enum Prompt: String, Sendable { case box, point }

    public let embedding: StoredEmbedding
    public let dense: Matrix<Float>
    public let sparse: Matrix<Float>
    public let storedTarget: StoredTarget
    public let prompt: Prompt

    public init(embedding: StoredEmbedding, dense: Matrix<Float>, sparse: Matrix<Float>, target: StoredTarget, prompt: Prompt = .box) {
        (self.embedding, self.dense, self.sparse, self.storedTarget, self.prompt) = (embedding, dense, sparse, target, prompt)
    }

    public init(embedding: StoredEmbedding, dense: Matrix<Float>, sparse: Matrix<Float>, target: [Float], prompt: Prompt = .box) {
        self.init(embedding: embedding, dense: dense, sparse: sparse, target: StoredTarget(target), prompt: prompt)
    }

    /// The target mask as 0/1 Floats.
    public var target: [Float] { storedTarget.values }
}

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

/// Trains the LoRA factors of a plain decoder on decoder samples; the rest stays frozen.
public struct DecoderTrainer {
    public var decoder: PlainMaskDecoder<Float>
    public let imagePE: Matrix<Float>
    public let settings: TrainingSettings
    public internal(set) var optimizer: AdamW
    public private(set) var step = 0

    public init(decoder: PlainMaskDecoder<Float>, imagePE: Matrix<Float>, settings: TrainingSettings) {
        (self.decoder, self.imagePE, self.settings) = (decoder, imagePE, settings)
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
    public mutating func train(_ samples: [DecoderSample], until: Int? = nil, progress: (TrainingStep) -> Bool = { _ in true }) {
        precondition(!samples.isEmpty, "no training samples")
        let schedule = LearningRateSchedule(peak: settings.learningRate, warmup: max(1, Int(Double(settings.steps) * settings.warmupFraction)),
                                            total: settings.steps, final: settings.finalLearningRate)
        while step < min(settings.steps, until ?? settings.steps) {
            let started = Date()
            var random = SeededRandom(seed: settings.seed, label: 0, slice: step)
            let batch = (0..<settings.batch).map { _ in samples[random.below(samples.count)] }
            let (model, pe, options) = (decoder, imagePE, settings)
            let results = ParallelLoop.jobs(count: batch.count) { i -> (Double, [String: [Float]]) in
                let sample = batch[i]
                let (logits, cache) = model.forward(embedding: sample.embedding.matrix, dense: sample.dense, imagePE: pe, sparse: sample.sparse)
                let (loss, gradient) = Self.loss(logits: logits, target: sample.target, settings: options)
                return (loss, model.backward(gradient, cache: cache).values)
            }
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
            decoder.visitTrainable { name, values in
                if let gradient = gradients[name] { adam.update(name, &values, gradient: gradient, learningRate: rate) }
            }
            optimizer = adam
            step += 1
            let record = TrainingStep(step: step, loss: results.map(\.0).reduce(0, +) / Double(results.count), learningRate: rate,
                                      gradientNorm: norm, seconds: Date().timeIntervalSince(started))
            if !progress(record) { return }
        }
    }
}
