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
            values = Self.formulaFactor(a: name.hasSuffix(".lora_A"), rank: meta.rank, inputs: layer.inputs, outputs: layer.outputs,
                                        index: index / 2)
            index += 1
        }
        let (loss, gradients) = Self.lossAndGradients(decoder, model: model, box: meta.box)
        #expect(abs(loss - meta.loss) < 1e-4, "loss \(loss) vs PyTorch \(meta.loss)")
        let layout = meta.layers.flatMap { [($0.name + ".lora_A", meta.rank * $0.inputs), ($0.name + ".lora_B", $0.outputs * meta.rank)] }
        let worst = try Self.worstError(gradients, against: torch, layout: layout, tolerance: 2e-4)
        print("LoRA gradients vs PyTorch: worst max-abs error \(worst) of each tensor's largest gradient, loss \(loss) vs \(meta.loss)")
    }

    /// dump_lora_gradients.factors for LoRA `index`: A[r, i] = 0.05 sin(0.1 (r + 1)(i + 1) + index) [rank, inputs], or
    /// B[o, r] = 0.02 cos(0.3 (o + 1) + 0.7 (r + 1) + index) [outputs, rank].
    static func formulaFactor(a: Bool, rank: Int, inputs: Int, outputs: Int, index: Int) -> [Float] {
        let n = Double(index)
        if a {
            return (0..<(rank * inputs)).map { j in
                let (r, i) = (Double(j / inputs), Double(j % inputs))
                return Float(0.05 * sin(0.1 * (r + 1) * (i + 1) + n))
            }
        }
        return (0..<(outputs * rank)).map { j in
            let (o, r) = (Double(j / rank), Double(j % rank))
            return Float(0.02 * cos(0.3 * (o + 1) + 0.7 * (r + 1) + n))
        }
    }

    /// The scripts' target: the disc (x - 115)^2 + (y - 125)^2 <= 50^2 on the 256 x 256 frame.
    static let disc = (0..<65536).map { p -> Float in
        let (x, y) = (p % 256 - 115, p / 256 - 125)
        return x * x + y * y <= 2500 ? 1 : 0
    }

    /// The trainer's loss (BCE + 0.8 Dice against the disc of radius 50 at (115, 125)) of `decoder` on the formula
    /// embedding and a real box prompt, and every trainable gradient.
    static func lossAndGradients(_ decoder: PlainMaskDecoder<Float>, model: LiteMedSAM, box: [Float]) -> (loss: Double, gradients: [String: [Float]]) {
        let (sparse, dense) = model.promptEmbeddings(ModelPrompt(box: box))
        let (logits, cache) = decoder.forward(embedding: embedding(), dense: Matrix(rows: 4096, columns: 256, values: dense.data),
                                              imagePE: Matrix(rows: 4096, columns: 256, values: model.imagePositionalEncoding.data),
                                              sparse: Matrix(rows: sparse.shape[0], columns: 256, values: sparse.data))
        let (loss, dLogits) = AdapterTrainer.loss(logits: logits, target: disc, settings: TrainingSettings())
        return (loss, decoder.backward(dLogits, cache: cache).values)
    }

    /// Checks each tensor of `layout` (name, size; PyTorch's dump order) against its slice of `torch`: the largest
    /// difference within `tolerance` of the tensor's largest PyTorch gradient. Returns the worst such ratio.
    static func worstError(_ gradients: [String: [Float]], against torch: [Float], layout: [(name: String, count: Int)],
                           tolerance: Double) throws -> Double {
        var offset = 0, worst = 0.0
        for (name, count) in layout {
            let expected = torch[offset..<(offset + count)], got = try #require(gradients[name])
            offset += count
            let scale = Double(expected.map(abs).max()!)
            let error = Double(zip(got, expected).map { abs($0 - $1) }.max()!) / scale
            worst = max(worst, error)
            #expect(error < tolerance, "\(name): max error \(error) of the largest gradient \(scale)")
        }
        #expect(offset == torch.count)
        return worst
    }
}
