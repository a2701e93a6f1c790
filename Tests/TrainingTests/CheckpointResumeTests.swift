import Foundation
import Testing
@testable import SAM
@testable import Tensor
@testable import Training

/// A run stopped after some steps, saved, read back into a fresh trainer and continued ends exactly where the
/// uninterrupted run ends; a checkpoint of other settings or another layout is refused; validation scores Dice per
/// prompt kind.
@Suite struct CheckpointResumeTests {
    static func trainer(steps: Int) -> AdapterTrainer {
        var decoder = AdapterTrainerTests.smallDecoder()
        decoder.addLoRA(LoRASettings(rank: 2, seed: 1))
        var settings = TrainingSettings()
        (settings.steps, settings.batch, settings.learningRate) = (steps, 2, 3e-2)
        return AdapterTrainer(model: TrainableModel(decoder: decoder, imagePE: AdapterTrainerTests.imagePE), settings: settings)
    }

    static func factors(_ trainer: AdapterTrainer) -> [[Float]] {
        trainer.model.decoder.loraFactors.flatMap { [$0.lora.a.values, $0.lora.b.values] }
    }

    @Test func aResumedRunEndsWhereAnUninterruptedOneEnds() throws {
        let samples = AdapterTrainerTests.samples()
        var whole = Self.trainer(steps: 10)
        whole.train(samples)

        var first = Self.trainer(steps: 10)
        first.train(samples) { $0.step < 4 }
        #expect(first.step == 4)
        let path = NSTemporaryDirectory() + "volsam-checkpoint-\(getpid()).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try TrainingCheckpoint(first, fingerprint: "run A", log: ["1,0.5,0.001,1,0.1"], validationLog: ["0,0.00,3,0.5,"]).write(to: path)

        let checkpoint = try TrainingCheckpoint.read(path: path, fingerprint: "run A")
        #expect(checkpoint.step == 4 && checkpoint.log == ["1,0.5,0.001,1,0.1"] && checkpoint.validationLog == ["0,0.00,3,0.5,"])
        var resumed = Self.trainer(steps: 10)
        try resumed.restore(checkpoint, path: path)
        resumed.train(samples)
        #expect(resumed.step == 10)
        #expect(Self.factors(resumed) == Self.factors(whole), "bit for bit")
        #expect(Self.factors(resumed) != Self.factors(first))

        #expect(throws: CheckpointError.self) { try TrainingCheckpoint.read(path: path, fingerprint: "run B") }
        var otherLayout = AdapterTrainer(
            model: TrainableModel(decoder: { var d = AdapterTrainerTests.smallDecoder(); d.addLoRA(LoRASettings(rank: 3, seed: 1)); return d }(),
                                  imagePE: AdapterTrainerTests.imagePE), settings: TrainingSettings())
        #expect(throws: CheckpointError.self) { try otherLayout.restore(checkpoint, path: path) }
    }

    @Test func validationScoresEachPromptKind() {
        let samples = AdapterTrainerTests.samples()
        let decoder = { var d = AdapterTrainerTests.smallDecoder(); d.addLoRA(LoRASettings(rank: 2, seed: 1)); return d }()
        // targets equal to the decoder's own mask score 1; their complements score 0
        let own = samples.map { s -> TrainingSample in
            let logits = decoder.forward(embedding: s.features.matrix, dense: s.dense, imagePE: AdapterTrainerTests.imagePE, sparse: s.sparse).logits
            return TrainingSample(features: s.features, dense: s.dense, sparse: s.sparse, target: logits.map { $0 > 0 ? 1 : 0 }, prompt: .box)
        }
        let inverse = own.map { TrainingSample(features: $0.features, dense: $0.dense, sparse: $0.sparse, target: $0.target.map { 1 - $0 }, prompt: .point) }
        let scores = ValidationSet(samples: own + inverse).score(TrainableModel(decoder: decoder, imagePE: AdapterTrainerTests.imagePE))
        #expect(scores[.box] == 1 && scores[.point] == 0, "\(scores)")
    }
}
