import Foundation
import Parallelism
import SAM
import Tensor

/// Held-out slices scored while training: the mean Dice of the model's mask (logit > 0 in the model frame) against
/// each sample's target, per prompt kind.
public struct ValidationSet: Sendable {
    public let samples: [TrainingSample]

    public init(samples: [TrainingSample]) { self.samples = samples }

    /// Mean Dice per prompt kind present (a sample whose mask and target are both empty counts 1).
    public func score(_ model: TrainableModel) -> [TrainingSample.Prompt: Double] {
        let dice = ParallelLoop.jobs(count: samples.count) { i -> Double in
            let sample = samples[i]
            let logits = model.logits(sample)
            var (both, predicted, target) = (0.0, 0.0, 0.0)
            for (z, t) in zip(logits, sample.target) {
                let p: Float = z > 0 ? 1 : 0
                (both, predicted, target) = (both + Double(p * t), predicted + Double(p), target + Double(t))
            }
            return predicted + target > 0 ? 2 * both / (predicted + target) : 1
        }
        var sums: [TrainingSample.Prompt: (Double, Int)] = [:]
        for (sample, d) in zip(samples, dice) { sums[sample.prompt, default: (0, 0)] = (sums[sample.prompt, default: (0, 0)].0 + d, sums[sample.prompt, default: (0, 0)].1 + 1) }
        return sums.mapValues { $0.0 / Double($0.1) }
    }
}
