import Foundation
import Testing
@testable import SAM
@testable import Tensor
import Training

/// The trainer's encoder path against PyTorch (tools/reference/dump_encoder_lora_gradients.py): a rank-4 LoRA on the
/// per-head q and v rows of the last stage's qkv (factors from a formula), the stage's input a formula rounded to
/// float16 as the trainer caches it, then the plain last stage, neck and frozen decoder with a real box prompt, and
/// the trainer's loss against a disc; TrainableModel.lossAndGradients against PyTorch's loss and LoRA gradients.
@Suite struct EncoderLoRAGradientParityTests {
    struct Meta: Decodable {
        struct LoRA: Decodable { let name: String, tag: String, inputs: Int, rows: Int }
        let loss: Double, rank: Int, alpha: Double, box: [Float], loras: [LoRA]
    }

    /// [4096, 320]: 0.6 sin(0.517 i + 0.91 c) + 0.4 cos(0.071 i (c mod 5 + 1)), the script's formula.
    static func features() -> Matrix<Float> {
        var values = [Float](repeating: 0, count: 4096 * 320)
        for i in 0..<4096 {
            for c in 0..<320 {
                let (x, k) = (Double(i), Double(c))
                values[i * 320 + c] = Float(0.6 * sin(0.517 * x + 0.91 * k) + 0.4 * cos(0.071 * x * Double(c % 5 + 1)))
            }
        }
        return Matrix(rows: 4096, columns: 320, values: values)
    }

    @Test func encoderLoRAGradientsMatchPyTorch() throws {
        guard let model = SharedModel.model else { return print("skipping: LiteMedSAM weights are not in the cache (make weights)") }
        let folder = GoldenCase.root + "/encoder_lora_gradients"
        let meta = try JSONDecoder().decode(Meta.self, from: Data(contentsOf: URL(fileURLWithPath: folder + "/meta.json")))
        let torch = try GoldenCase.gunzip(folder + "/gradients.f32.gz").withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }

        var encoder: PlainEncoderSuffix<Float> = try PlainModelLoader.encoderSuffix()
        encoder.addLoRA(LoRASettings(rank: meta.rank, alpha: meta.alpha))
        #expect(encoder.rowLoRAFactors.map { "\($0.layer) \($0.lora.tag)" } == meta.loras.map { "\($0.name) \($0.tag)" }, "PyTorch's order")
        var index = 0
        encoder.visitLoRA { name, values in
            let lora = meta.loras[index / 2]
            values = LoRAGradientParityTests.formulaFactor(a: name.hasSuffix("_A"), rank: meta.rank, inputs: lora.inputs, outputs: lora.rows,
                                                           index: index / 2)
            index += 1
        }
        let pe = model.imagePositionalEncoding, (sparse, dense) = model.promptEmbeddings(ModelPrompt(box: meta.box))
        let trainable = TrainableModel(decoder: try PlainModelLoader.maskDecoder(), encoder: encoder,
                                       imagePE: Matrix(rows: 4096, columns: 256, values: pe.data))
        let sample = TrainingSample(features: StoredFeatures(Self.features()), dense: Matrix(rows: 4096, columns: 256, values: dense.data),
                                    sparse: Matrix(rows: sparse.shape[0], columns: 256, values: sparse.data),
                                    target: LoRAGradientParityTests.disc)
        let (loss, gradients) = trainable.lossAndGradients(sample, settings: TrainingSettings())
        #expect(Set(gradients.keys).count == 4 * 2, "A and B of 4 row LoRAs, nothing of the frozen decoder: \(gradients.keys.sorted())")
        #expect(abs(loss - meta.loss) < 1e-4, "loss \(loss) vs PyTorch \(meta.loss)")
        let layout = meta.loras.flatMap { lora in
            [("\(lora.name).lora_\(lora.tag)_A", meta.rank * lora.inputs), ("\(lora.name).lora_\(lora.tag)_B", lora.rows * meta.rank)]
        }
        let worst = try LoRAGradientParityTests.worstError(gradients, against: torch, layout: layout, tolerance: 2e-4)
        print("encoder LoRA gradients vs PyTorch: worst max-abs error \(worst) of each tensor's largest gradient, loss \(loss) vs \(meta.loss)")
    }
}
