import Foundation
import Testing
@testable import SAM
@testable import Tensor

/// The plain (differentiable) mask decoder: its forward pass against the fused engine and PyTorch on the golden
/// slices, and its backward pass against finite differences in Double at a small size with random weights.
@Suite(.serialized) struct PlainDecoderTests {
    /// Full size, Float, the real weights: the plain decoder's low-res logits against the engine's (which matches
    /// PyTorch to 2e-2) and against PyTorch's own, for box, point and box + mask prompts.
    @Test func plainForwardMatchesTheEngineAndPyTorch() throws {
        guard let model = SharedModel.model else { return print("skipping: LiteMedSAM weights are not in the cache (make weights)") }
        let plain: PlainMaskDecoder<Float> = try PlainModelLoader.maskDecoder()
        let golden = try GoldenCase("ct_abdomen_122x101")
        let embedding = model.encode(try golden.modelInput())
        let imagePE = Matrix<Float>(rows: 4096, columns: 256, values: model.promptEncoder.densePositional.data)
        for (index, entry) in golden.meta.prompts.enumerated() {
            let prompt = try golden.prompt(entry)
            let (sparse, dense) = model.promptEncoder(prompt)
            let (logits, _) = plain.forward(embedding: Matrix(rows: 4096, columns: 256, values: embedding.data),
                                            dense: Matrix(rows: 4096, columns: 256, values: dense.data), imagePE: imagePE,
                                            sparse: Matrix(rows: sparse.shape[0], columns: 256, values: sparse.data))
            let engine = model.decode(embedding: embedding, prompt: prompt).logits[0].data
            let pytorch = try golden.floats("logits_\(index).f32.gz")
            let scale = engine.map(abs).max()!
            let fromEngine = zip(logits, engine).map { abs($0 - $1) }.max()!, fromPyTorch = zip(logits, pytorch).map { abs($0 - $1) }.max()!
            #expect(fromEngine <= 1e-3 * scale, "\(entry.kind): plain vs engine \(fromEngine) (max \(scale))")
            #expect(fromPyTorch <= 2e-2, "\(entry.kind): plain vs PyTorch \(fromPyTorch)")
        }
    }

    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// A decoder of width 16 (2 heads, MLP 24, 4x4 grid) with random weights from `g`, nothing trainable.
    static func frozenSmallDecoder(_ g: inout Generator) -> PlainMaskDecoder<Double> {
        PlainMaskDecoder<Double>({ name, shape in
            let count = shape.reduce(1, *)
            let isNormWeight = name.contains("norm") || name.contains("output_upscaling.1")
            return (0..<count).map { _ in (isNormWeight && name.hasSuffix(".weight") ? 1 : 0) + Double.random(in: -0.5...0.5, using: &g) }
        }, dim: 16, grid: 4, heads: 2, mlpDim: 24, depth: 2, maskTokens: 4)
    }

    /// The small decoder (generator seeded 42) with every weight and norm trainable,
    /// and a LoRA (rank 2, non-zero B) on every attention's q and v projections.
    static func smallDecoder() -> PlainMaskDecoder<Double> {
        var g = Generator(state: 42)
        var decoder = frozenSmallDecoder(&g)
        func adapt(_ layer: inout DenseLayer<Double>) {
            layer.trainsWeight = true
            let a = Matrix<Double>(rows: 2, columns: layer.inputs, values: (0..<(2 * layer.inputs)).map { _ in Double.random(in: -0.5...0.5, using: &g) })
            let b = Matrix<Double>(rows: layer.outputs, columns: 2, values: (0..<(2 * layer.outputs)).map { _ in Double.random(in: -0.5...0.5, using: &g) })
            layer.lora = LowRankUpdate(a: a, b: b, scale: 0.5)
        }
        func train(_ attention: inout AttentionLayer<Double>) {
            adapt(&attention.q); adapt(&attention.v)
            attention.k.trainsWeight = true; attention.out.trainsWeight = true
        }
        for i in decoder.blocks.indices {
            train(&decoder.blocks[i].selfAttention); train(&decoder.blocks[i].tokenToImage); train(&decoder.blocks[i].imageToToken)
            decoder.blocks[i].mlp1.trainsWeight = true; decoder.blocks[i].mlp2.trainsWeight = true
            for n in decoder.blocks[i].norms.indices { decoder.blocks[i].norms[n].trains = true }
        }
        train(&decoder.finalAttention)
        decoder.finalNorm.trains = true
        decoder.upscaleNorm.trains = true
        for i in decoder.hypernetwork.indices { decoder.hypernetwork[i].trainsWeight = true }
        return decoder
    }

    /// Every trainable tensor's gradient against central differences along a random direction (and, for the
    /// LoRA factors, entry by entry), L = sum(logits * R).
    @Test func plainBackwardMatchesFiniteDifferences() {
        var g = Generator(state: 7)
        let decoder = Self.smallDecoder()
        func random(_ rows: Int, _ columns: Int) -> Matrix<Double> {
            Matrix(rows: rows, columns: columns, values: (0..<(rows * columns)).map { _ in Double.random(in: -1...1, using: &g) })
        }
        let (embedding, dense, pe, sparse) = (random(16, 16), random(16, 16), random(16, 16), random(2, 16))
        let r = (0..<256).map { _ in Double.random(in: -1...1, using: &g) }
        func loss(_ d: PlainMaskDecoder<Double>) -> Double {
            zip(d.forward(embedding: embedding, dense: dense, imagePE: pe, sparse: sparse).logits, r).map(*).reduce(0, +)
        }
        let gradients = decoder.backward(r, cache: decoder.forward(embedding: embedding, dense: dense, imagePE: pe, sparse: sparse).cache)
        #expect(gradients.values.count == 7 * 12 + 2 * 2 * 2 + 2 * 4 * 2 + 2 + 2 + 3 * 2, "every trainable tensor: \(gradients.values.count)")
        var worst = 0.0
        for (name, gradient) in gradients.values.sorted(by: { $0.key < $1.key }) {
            let direction = gradient.indices.map { _ in Double.random(in: -1...1, using: &g) }
            let h = 1e-5
            let numeric = (loss(Self.moved(decoder, name, direction, h)) - loss(Self.moved(decoder, name, direction, -h))) / (2 * h)
            let analytic = zip(gradient, direction).map(*).reduce(0, +)
            let error = abs(numeric - analytic) / max(1e-3, abs(numeric))  // k_proj biases have zero gradient (softmax shift)
            worst = max(worst, error)
            #expect(error < 1e-6, "\(name): analytic \(analytic), numeric \(numeric)")
        }
        print("plain decoder backward: worst relative error \(worst) over \(gradients.values.count) tensors")
    }

    /// The decoder with the parameter `name` moved by h * direction.
    /// The image embedding's gradient (what an adapted encoder before the decoder trains on) against central
    /// differences along random directions, L = sum(logits * R).
    @Test func embeddingGradientMatchesFiniteDifferences() {
        var g = Generator(state: 8)
        let decoder = Self.smallDecoder()
        func random(_ count: Int) -> [Double] { (0..<count).map { _ in Double.random(in: -1...1, using: &g) } }
        let (embedding, dense, pe, sparse) = (random(256), random(256), random(256), random(32))
        let r = random(256)
        func loss(_ e: [Double]) -> Double {
            let logits = decoder.forward(embedding: Matrix(rows: 16, columns: 16, values: e), dense: Matrix(rows: 16, columns: 16, values: dense),
                                         imagePE: Matrix(rows: 16, columns: 16, values: pe), sparse: Matrix(rows: 2, columns: 16, values: sparse)).logits
            return zip(logits, r).map(*).reduce(0, +)
        }
        let cache = decoder.forward(embedding: Matrix(rows: 16, columns: 16, values: embedding), dense: Matrix(rows: 16, columns: 16, values: dense),
                                    imagePE: Matrix(rows: 16, columns: 16, values: pe), sparse: Matrix(rows: 2, columns: 16, values: sparse)).cache
        let (gradients, dEmbedding) = decoder.backwardToEmbedding(r, cache: cache)
        #expect(gradients.values.keys.sorted() == decoder.backward(r, cache: cache).values.keys.sorted())
        var worst = 0.0
        for _ in 0..<4 {
            let direction = random(256), h = 1e-5
            let numeric = (loss(zip(embedding, direction).map { $0 + h * $1 }) - loss(zip(embedding, direction).map { $0 - h * $1 })) / (2 * h)
            let analytic = zip(dEmbedding.values, direction).map(*).reduce(0, +)
            worst = max(worst, abs(numeric - analytic) / max(1e-3, abs(numeric)))
        }
        #expect(worst < 1e-6, "the embedding's gradient: worst relative error \(worst)")
        print("plain decoder, the embedding's gradient: worst relative error \(worst) over 4 directions")
    }

    static func moved(_ decoder: PlainMaskDecoder<Double>, _ name: String, _ direction: [Double], _ h: Double) -> PlainMaskDecoder<Double> {
        var d = decoder
        func move(_ values: inout [Double]) { for i in values.indices { values[i] += h * direction[i] } }
        func visit(_ layer: inout DenseLayer<Double>) {
            if name == layer.name + ".weight" { move(&layer.weight.values) }
            if name == layer.name + ".bias", layer.bias != nil { move(&layer.bias!) }
            if name == layer.name + ".lora_A" { move(&layer.lora!.a.values) }
            if name == layer.name + ".lora_B" { move(&layer.lora!.b.values) }
        }
        func visit(_ norm: inout NormLayer<Double>) {
            if name == norm.name + ".weight" { move(&norm.weight) }
            if name == norm.name + ".bias" { move(&norm.bias) }
        }
        func visit(_ attention: inout AttentionLayer<Double>) {
            visit(&attention.q); visit(&attention.k); visit(&attention.v); visit(&attention.out)
        }
        for i in d.blocks.indices {
            visit(&d.blocks[i].selfAttention); visit(&d.blocks[i].tokenToImage); visit(&d.blocks[i].imageToToken)
            visit(&d.blocks[i].mlp1); visit(&d.blocks[i].mlp2)
            for n in d.blocks[i].norms.indices { visit(&d.blocks[i].norms[n]) }
        }
        visit(&d.finalAttention)
        visit(&d.finalNorm)
        visit(&d.upscaleNorm)
        for i in d.hypernetwork.indices { visit(&d.hypernetwork[i]) }
        return d
    }
}
