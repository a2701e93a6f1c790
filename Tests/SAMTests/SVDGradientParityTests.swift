import Foundation
import Testing
@testable import SAM
@testable import Tensor
import Training

/// The plain decoder's S-SAM gradients against PyTorch's (tools/reference/dump_svd_gradients.py): the published
/// weights, every attention's q and v as U diag(ReLU(scale S + shift)) V^T with scale and shift from a formula, every
/// layer norm trained, the LoRA test's formula embedding, box and loss. The SVDs come from LAPACK here and from
/// torch.linalg.svd there (signs may differ; the gradients of scale and shift do not depend on them).
@Suite struct SVDGradientParityTests {
    struct Meta: Decodable {
        struct Tensor: Decodable { let name: String, count: Int }
        let loss: Double, box: [Float], tensors: [Tensor]
    }

    @Test func singularValueGradientsMatchPyTorch() throws {
        guard let model = SharedModel.model else { return print("skipping: LiteMedSAM weights are not in the cache (make weights)") }
        let folder = GoldenCase.root + "/svd_gradients"
        let meta = try JSONDecoder().decode(Meta.self, from: Data(contentsOf: URL(fileURLWithPath: folder + "/meta.json")))
        let torch = try GoldenCase.gunzip(folder + "/gradients.f32.gz").withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }

        var decoder: PlainMaskDecoder<Float> = try PlainModelLoader.maskDecoder()
        try decoder.addSingularValueTuning()
        var layer = -1
        decoder.visitTrainable { name, values in
            if name.hasSuffix(".svd_scale") {
                layer += 1
                values = values.indices.map { Float(1 + 0.05 * sin(0.37 * Double($0 + 1) + Double(layer))) }
            } else if name.hasSuffix(".svd_shift") {
                values = values.indices.map { Float(0.002 * cos(0.53 * Double($0 + 1) + Double(layer))) }
            }
        }
        let (sparse, dense) = model.promptEmbeddings(ModelPrompt(box: meta.box))
        let (logits, cache) = decoder.forward(embedding: LoRAGradientParityTests.embedding(),
                                              dense: Matrix(rows: 4096, columns: 256, values: dense.data),
                                              imagePE: Matrix(rows: 4096, columns: 256, values: model.imagePositionalEncoding.data),
                                              sparse: Matrix(rows: sparse.shape[0], columns: 256, values: sparse.data))
        let disc = (0..<65536).map { p -> Float in
            let (x, y) = (p % 256 - 115, p / 256 - 125)
            return x * x + y * y <= 2500 ? 1 : 0
        }
        let (loss, dLogits) = DecoderTrainer.loss(logits: logits, target: disc, settings: TrainingSettings())
        #expect(abs(loss - meta.loss) < 1e-4, "loss \(loss) vs PyTorch \(meta.loss)")
        let gradients = decoder.backward(dLogits, cache: cache).values
        #expect(Set(gradients.keys) == Set(meta.tensors.map(\.name)), "the same tensors train on both sides")

        var offset = 0, worst = 0.0
        for tensor in meta.tensors {
            let expected = torch[offset..<(offset + tensor.count)], got = try #require(gradients[tensor.name])
            offset += tensor.count
            let scale = Double(expected.map(abs).max()!)
            let error = Double(zip(got, expected).map { abs($0 - $1) }.max()!) / scale
            worst = max(worst, error)
            #expect(error < 5e-4, "\(tensor.name): max error \(error) of the largest gradient \(scale)")
        }
        #expect(offset == torch.count)
        print("S-SAM gradients vs PyTorch: worst max-abs error \(worst) of each tensor's largest gradient, loss \(loss) vs \(meta.loss)")
    }
}
