import Foundation
import Testing
@testable import SAM
@testable import Tensor

/// Med-SA's bottleneck adapters on the plain decoder: untrained they change nothing; their backward pass against
/// finite differences in Double (a small decoder, adapters with random non-zero weights, the rest frozen).
@Suite struct BottleneckAdapterTests {
    typealias Generator = PlainDecoderTests.Generator

    static func inputs(_ g: inout Generator) -> (Matrix<Double>, Matrix<Double>, Matrix<Double>, Matrix<Double>, [Double]) {
        func random(_ rows: Int, _ columns: Int) -> Matrix<Double> {
            Matrix(rows: rows, columns: columns, values: (0..<(rows * columns)).map { _ in Double.random(in: -1...1, using: &g) })
        }
        return (random(16, 16), random(16, 16), random(16, 16), random(2, 16), (0..<256).map { _ in Double.random(in: -1...1, using: &g) })
    }

    /// The small random decoder (width 16, bottleneck 4) frozen, with adapters.
    static func adapted(_ g: inout Generator, randomUp: Bool) -> (frozen: PlainMaskDecoder<Double>, adapted: PlainMaskDecoder<Double>) {
        let frozen = PlainDecoderTests.frozenSmallDecoder(&g)
        var adapted = frozen
        adapted.addAdapters(seed: 3)
        if randomUp {
            adapted.visitAdapters { name, values in
                if name.contains(".D_fc2.") { values = values.map { _ in Double.random(in: -0.5...0.5, using: &g) } }
            }
        }
        return (frozen, adapted)
    }

    @Test func untrainedAdaptersChangeNothing() {
        var g = Generator(state: 11)
        let (embedding, dense, pe, sparse, _) = Self.inputs(&g)
        let (frozen, adapted) = Self.adapted(&g, randomUp: false)
        #expect(adapted.bottleneckAdapters.count == 2 * 4 + 1)
        #expect(adapted.bottleneckAdapters.map(\.name).prefix(4) == [
            "mask_decoder.transformer.layers.0.self_attn.adapter", "mask_decoder.transformer.layers.0.cross_attn_token_to_image.adapter",
            "mask_decoder.transformer.layers.0.mlp_adapter", "mask_decoder.transformer.layers.0.cross_attn_image_to_token.adapter",
        ])
        let a = frozen.forward(embedding: embedding, dense: dense, imagePE: pe, sparse: sparse).logits
        let b = adapted.forward(embedding: embedding, dense: dense, imagePE: pe, sparse: sparse).logits
        #expect(a == b)
    }

    @Test func adapterGradientsMatchFiniteDifferences() {
        var g = Generator(state: 5)
        let (embedding, dense, pe, sparse, r) = Self.inputs(&g)
        let decoder = Self.adapted(&g, randomUp: true).adapted
        func loss(_ d: PlainMaskDecoder<Double>) -> Double {
            zip(d.forward(embedding: embedding, dense: dense, imagePE: pe, sparse: sparse).logits, r).map(*).reduce(0, +)
        }
        let gradients = decoder.backward(r, cache: decoder.forward(embedding: embedding, dense: dense, imagePE: pe, sparse: sparse).cache)
        #expect(gradients.values.count == 9 * 4, "fc1 and fc2 weight and bias of 9 adapters, nothing else: \(gradients.values.count)")
        let worst = TrainableFiniteDifferences.worstError(gradients, decoder: decoder, loss: loss) { count in
            (0..<count).map { _ in Double.random(in: -1...1, using: &g) }
        }
        print("adapter backward: worst relative error \(worst) over \(gradients.values.count) tensors")
    }
}

/// The engine with Med-SA adapters (an adapter file, extra layers in PyTorch's order of operations) against the
/// plain decoder with the same adapters, on a real slice: the file round trip and both forward passes agree.
@Suite(.serialized) struct EngineAdapterTests {
    @Test func engineWithAdaptersMatchesThePlainDecoder() throws {
        guard let frozenModel = SharedModel.model else { return print("skipping: LiteMedSAM weights are not in the cache (make weights)") }
        var plain: PlainMaskDecoder<Float> = try PlainModelLoader.maskDecoder()
        plain.addAdapters(seed: 9)
        var g = PlainDecoderTests.Generator(state: 21)
        plain.visitAdapters { name, values in
            if name.contains(".D_fc2.") { values = values.map { _ in Float.random(in: -0.05...0.05, using: &g) } }
        }
        let path = NSTemporaryDirectory() + "volsam-adapter-\(getpid()).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let weights = try ModelWeights.locate()
        try BottleneckAdapterFile(decoder: plain, baseSHA256: try ModelWeights.sha256(of: weights), metadata: ["where": "decoder"]).write(to: path)
        let worst = try LoRAAdapterTests.expectEngineMatchesPlain(plain, adapter: path, base: frozenModel)
        print("engine with Med-SA adapters vs plain decoder: worst max error \(worst) of the largest logit")
    }
}
