import Foundation
import Testing
@testable import SAM
@testable import Tensor
@testable import Training

/// The trainer on a small random decoder (width 16, 4x4 grid): LoRA alone fits two different targets, the frozen
/// weights do not move, and a run is reproducible from its seed.
@Suite struct AdapterTrainerTests {
    static func smallDecoder() -> PlainMaskDecoder<Float> {
        var random = SeededRandom(seed: 5)
        return PlainMaskDecoder<Float>({ name, shape in
            let isNormWeight = (name.contains("norm") || name.contains("output_upscaling.1")) && name.hasSuffix(".weight")
            return (0..<shape.reduce(1, *)).map { _ in (isNormWeight ? 1 : 0) + Float(random.uniform() - 0.5) }
        }, dim: 16, grid: 4, heads: 2, mlpDim: 24, depth: 2, maskTokens: 4)
    }

    /// Three samples whose targets a teacher made: the same decoder with another LoRA (same A, random B), its
    /// logits thresholded at 0, so the targets are reachable by training B alone.
    static func samples() -> [TrainingSample] {
        var random = SeededRandom(seed: 9)
        func matrix(_ rows: Int) -> Matrix<Float> {
            Matrix(rows: rows, columns: 16, values: (0..<(rows * 16)).map { _ in Float(random.uniform() * 2 - 1) })
        }
        var teacher = smallDecoder()
        teacher.addLoRA(LoRASettings(rank: 2, seed: 1))
        teacher.visitLoRA { name, values in
            if name.hasSuffix(".lora_B") { values = values.map { _ in Float(random.uniform() * 2 - 1) } }
        }
        return (0..<3).map { _ in
            let (embedding, dense, sparse) = (matrix(16), matrix(16), matrix(2))
            let logits = teacher.forward(embedding: embedding, dense: dense, imagePE: imagePE, sparse: sparse).logits
            return TrainingSample(features: StoredFeatures(embedding), dense: dense, sparse: sparse, target: logits.map { $0 > 0 ? 1 : 0 })
        }
    }

    static let imagePE = Matrix<Float>(rows: 16, columns: 16, values: (0..<256).map { Float($0 % 7) / 7 })

    /// The fraction of pixels where the decoder's mask (logit > 0) is the target's.
    static func agreement(_ decoder: PlainMaskDecoder<Float>, _ samples: [TrainingSample]) -> Double {
        let hits = samples.map { sample in
            let logits = decoder.forward(embedding: sample.features.matrix, dense: sample.dense, imagePE: imagePE, sparse: sample.sparse).logits
            return zip(logits, sample.target).filter { ($0 > 0) == ($1 > 0.5) }.count
        }
        return Double(hits.reduce(0, +)) / Double(256 * samples.count)
    }

    static func train(steps: Int) -> (trainer: AdapterTrainer, losses: [Double]) {
        var decoder = smallDecoder()
        decoder.addLoRA(LoRASettings(rank: 2, seed: 1))
        var settings = TrainingSettings()
        settings.steps = steps
        settings.batch = 2
        settings.learningRate = 3e-2
        var trainer = AdapterTrainer(model: TrainableModel(decoder: decoder, imagePE: imagePE), settings: settings)
        var losses: [Double] = []
        trainer.train(samples()) { losses.append($0.loss); return true }
        return (trainer, losses)
    }

    @Test func loraAloneFitsReachableTargetsAndFrozenWeightsStay() {
        let (trainer, losses) = Self.train(steps: 300)
        #expect(losses.count == 300)
        let before = Self.agreement({ var d = Self.smallDecoder(); d.addLoRA(LoRASettings(rank: 2, seed: 1)); return d }(), Self.samples())
        let after = Self.agreement(trainer.model.decoder, Self.samples())
        let first = losses.prefix(10).reduce(0, +) / 10, last = losses.suffix(10).reduce(0, +) / 10
        #expect(after >= 0.9 && after > before + 0.2, "pixel agreement with the teacher \(before) -> \(after)")
        #expect(last < 0.85 * first, "loss \(first) -> \(last)")
        let frozen = Self.smallDecoder()
        #expect(trainer.model.decoder.blocks[0].mlp1.weight.values == frozen.blocks[0].mlp1.weight.values)
        #expect(trainer.model.decoder.finalAttention.q.weight.values == frozen.finalAttention.q.weight.values)
        #expect(trainer.model.decoder.loraFactors.allSatisfy { $0.lora.b.values.contains { $0 != 0 } }, "every B has learned")
        print("small decoder, LoRA rank 2, 300 steps: loss \(first) -> \(last), agreement \(before) -> \(after)")
    }

    @Test func aRunIsReproducibleFromItsSeed() {
        let (a, lossesA) = Self.train(steps: 12), (b, lossesB) = Self.train(steps: 12)
        #expect(lossesA == lossesB)
        #expect(a.model.decoder.loraFactors.map(\.lora.b.values) == b.model.decoder.loraFactors.map(\.lora.b.values))
    }
}
