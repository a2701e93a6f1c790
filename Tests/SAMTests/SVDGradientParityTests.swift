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
        let (loss, gradients) = LoRAGradientParityTests.lossAndGradients(decoder, model: model, box: meta.box)
        #expect(abs(loss - meta.loss) < 1e-4, "loss \(loss) vs PyTorch \(meta.loss)")
        #expect(Set(gradients.keys) == Set(meta.tensors.map(\.name)), "the same tensors train on both sides")
        let worst = try LoRAGradientParityTests.worstError(gradients, against: torch, layout: meta.tensors.map { ($0.name, $0.count) },
                                                           tolerance: 5e-4)
        print("S-SAM gradients vs PyTorch: worst max-abs error \(worst) of each tensor's largest gradient, loss \(loss) vs \(meta.loss)")
    }
}
