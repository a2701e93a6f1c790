import Foundation
import Testing
@testable import SAM
@testable import Tensor
import Training

/// The plain decoder's Med-SA adapter gradients against PyTorch's (tools/reference/dump_adapter_gradients.py): the
/// published weights, adapters after every attention and beside every MLP with tensors from a formula, the formula
/// embedding, a real box prompt and the trainer's loss against a disc (as LoRAGradientParityTests). PyTorch's
/// gradients are sampled every `stride` entries to keep the fixture small.
@Suite struct AdapterGradientParityTests {
    struct Meta: Decodable {
        struct Tensor: Decodable { let name: String, count: Int }
        let loss: Double, stride: Int, tensors: [Tensor]
    }

    @Test func adapterGradientsMatchPyTorch() throws {
        guard let model = SharedModel.model else { return print("skipping: LiteMedSAM weights are not in the cache (make weights)") }
        let folder = GoldenCase.root + "/adapter_gradients"
        let meta = try JSONDecoder().decode(Meta.self, from: Data(contentsOf: URL(fileURLWithPath: folder + "/meta.json")))
        let torch = try GoldenCase.gunzip(folder + "/gradients.f32.gz").withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        var decoder: PlainMaskDecoder<Float> = try PlainModelLoader.maskDecoder()
        decoder.addAdapters(seed: 0)
        var index = 0
        decoder.visitAdapters { name, values in
            #expect(name == meta.tensors[index].name && values.count == meta.tensors[index].count, "tensor \(index): \(name)")
            let kind = name.split(separator: ".").suffix(2).joined(separator: ".")
            let amplitude = ["D_fc1.weight": 0.05, "D_fc2.weight": 0.02][kind] ?? 0.01
            values = values.indices.map { j in Float(amplitude * sin(0.37 * Double(j + 1) + 1.3 * Double(index))) }
            index += 1
        }
        #expect(index == meta.tensors.count)
        let (loss, gradients) = LoRAGradientParityTests.lossAndGradients(decoder, model: model, box: [60, 70, 170, 180])
        #expect(abs(loss - meta.loss) < 1e-4, "loss \(loss) vs PyTorch \(meta.loss)")
        var sampled: [String: [Float]] = [:]
        for t in meta.tensors { sampled[t.name] = stride(from: 0, to: t.count, by: meta.stride).map { gradients[t.name]?[$0] ?? .nan } }
        let layout = meta.tensors.map { ($0.name, ($0.count + meta.stride - 1) / meta.stride) }
        let worst = try LoRAGradientParityTests.worstError(sampled, against: torch, layout: layout, tolerance: 2e-4)
        print("adapter gradients vs PyTorch: worst max-abs error \(worst) of each tensor's largest gradient, loss \(loss) vs \(meta.loss)")
    }
}
