import Foundation
import Testing
@testable import SAM
@testable import Tensor
import Training

/// The plain decoder's LoRA gradients against PyTorch's (tools/reference/dump_lora_gradients.py): the published
/// weights, a rank-4 LoRA on every attention's q and v with factors from a formula, a formula embedding, a real box
/// prompt and the trainer's loss (BCE + 0.8 Dice) against a disc. Same weights, same inputs, float32 on both sides.
@Suite struct LoRAGradientParityTests {
    struct Meta: Decodable {
        struct Layer: Decodable { let name: String, inputs: Int, outputs: Int }
        let loss: Double, rank: Int, alpha: Double, box: [Float], layers: [Layer]
    }

    static func embedding() -> Matrix<Float> {
        var values = [Float](repeating: 0, count: 4096 * 256)
        for i in 0..<4096 {
            for c in 0..<256 {
                let (x, k) = (Double(i), Double(c))
                values[i * 256 + c] = Float(0.5 * sin(0.731 * x + 1.37 * k) + 0.3 * cos(0.113 * x * Double(c % 7 + 1)))
            }
        }
        return Matrix(rows: 4096, columns: 256, values: values)
    }

    @Test func loraGradientsMatchPyTorch() throws {
        guard let model = SharedModel.model else { return print("skipping: LiteMedSAM weights are not in the cache (make weights)") }
        let folder = GoldenCase.root + "/lora_gradients"
        let meta = try JSONDecoder().decode(Meta.self, from: Data(contentsOf: URL(fileURLWithPath: folder + "/meta.json")))
        let torch = try GoldenCase.gunzip(folder + "/gradients.f32.gz").withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }

        var decoder: PlainMaskDecoder<Float> = try PlainModelLoader.maskDecoder()
        decoder.addLoRA(LoRASettings(rank: meta.rank, alpha: meta.alpha))
        #expect(decoder.loraFactors.map { $0.layer } == meta.layers.map(\.name), "LoRA layers in PyTorch's order")
        var index = 0
        decoder.visitLoRA { name, values in
            let layer = meta.layers[index / 2]
            let n = Double(index / 2)
            if name.hasSuffix(".lora_A") {
                values = (0..<(meta.rank * layer.inputs)).map { j in
                    let (r, i) = (Double(j / layer.inputs), Double(j % layer.inputs))
                    return Float(0.05 * sin(0.1 * (r + 1) * (i + 1) + n))
                }
            } else {
                values = (0..<(layer.outputs * meta.rank)).map { j in
                    let (o, r) = (Double(j / meta.rank), Double(j % meta.rank))
                    return Float(0.02 * cos(0.3 * (o + 1) + 0.7 * (r + 1) + n))
                }
            }
            index += 1
        }
        let (sparse, dense) = model.promptEmbeddings(ModelPrompt(box: meta.box))
        let (logits, cache) = decoder.forward(embedding: Self.embedding(), dense: Matrix(rows: 4096, columns: 256, values: dense.data),
                                              imagePE: Matrix(rows: 4096, columns: 256, values: model.imagePositionalEncoding.data),
                                              sparse: Matrix(rows: sparse.shape[0], columns: 256, values: sparse.data))
        let disc = (0..<65536).map { p -> Float in
            let (x, y) = (p % 256 - 115, p / 256 - 125)
            return x * x + y * y <= 2500 ? 1 : 0
        }
        let (loss, dLogits) = DecoderTrainer.loss(logits: logits, target: disc, settings: TrainingSettings())
        #expect(abs(loss - meta.loss) < 1e-4, "loss \(loss) vs PyTorch \(meta.loss)")
        let gradients = decoder.backward(dLogits, cache: cache).values

        var offset = 0, worst = 0.0
        for layer in meta.layers {
            for (suffix, count) in [(".lora_A", meta.rank * layer.inputs), (".lora_B", layer.outputs * meta.rank)] {
                let expected = torch[offset..<(offset + count)], got = try #require(gradients[layer.name + suffix])
                offset += count
                let scale = Double(expected.map(abs).max()!)
                let error = Double(zip(got, expected).map { abs($0 - $1) }.max()!) / scale
                worst = max(worst, error)
                #expect(error < 2e-4, "\(layer.name)\(suffix): max error \(error) of the largest gradient \(scale)")
            }
        }
        #expect(offset == torch.count)
        print("LoRA gradients vs PyTorch: worst max-abs error \(worst) of each tensor's largest gradient, loss \(loss) vs \(meta.loss)")
    }
}
