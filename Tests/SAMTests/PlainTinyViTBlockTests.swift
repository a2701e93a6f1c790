import Foundation
import Testing
@testable import SAM
@testable import Tensor

/// The plain (differentiable) TinyViT block, the first part of adapting the encoder: its forward pass against the
/// engine's fused block on the real weights (stage 3's 14-wide windows padded 64 -> 70, stage 4's 7-wide ones), and
/// its backward pass against finite differences in Double at a small size (windows padded, a LoRA on qkv).
@Suite struct PlainTinyViTBlockTests {
    @Test(arguments: [(2, 160, 5, 14), (3, 320, 10, 7)])
    func plainBlockMatchesTheEngine(stage: Int, channels: Int, heads: Int, window: Int) throws {
        guard SharedModel.model != nil else { return print("skipping: LiteMedSAM weights are not in the cache (make weights)") }
        let tensors = try CheckpointReader.read(path: try ModelWeights.locate(), verifyCRC: false)
        let name = CheckpointNames.Encoder.block(stage: stage, block: 0)
        let engine = TinyViTBlock(ParameterStore(tensors, source: "checkpoint"), name, channels: channels, heads: heads, window: window)
        let plain = PlainTinyViTBlock<Float>({ tensorName, _ in tensors[tensorName]!.values }, name: name, channels: channels,
                                            heads: heads, window: window)
        var g = PlainDecoderTests.Generator(state: UInt64(stage))
        let x = (0..<(64 * 64 * channels)).map { _ in Float.random(in: -1...1, using: &g) }
        let fused = engine(Tensor(shape: [64, 64, channels], data: x)).data
        let reference = plain.forward(Matrix(rows: 4096, columns: channels, values: x), height: 64, width: 64).y.values
        let scale = reference.map(abs).max()!, error = zip(fused, reference).map { abs($0 - $1) }.max()!
        #expect(error <= 1e-4 * scale, "stage \(stage + 1): engine vs plain \(error) (max \(scale))")
        print("TinyViT stage \(stage + 1) block: engine vs plain max error \(error) of \(scale)")
    }

    /// A TinyViT block with random weights from `g` (BatchNorm variances in 0.5...1.5; with `normWeightsNearOne`,
    /// the norms' and BatchNorm's weights 1 + noise).
    static func smallBlock(_ g: inout PlainDecoderTests.Generator, channels: Int, heads: Int, window: Int,
                           normWeightsNearOne: Bool) -> PlainTinyViTBlock<Double> {
        PlainTinyViTBlock<Double>({ name, shape in
            let count = shape.reduce(1, *)
            if name.hasSuffix("running_var") { return (0..<count).map { _ in Double.random(in: 0.5...1.5, using: &g) } }
            let isNormWeight = normWeightsNearOne && (name.contains("norm") || name.hasSuffix(".bn.weight")) && name.hasSuffix(".weight")
            return (0..<count).map { _ in (isNormWeight ? 1 : 0) + Double.random(in: -0.5...0.5, using: &g) }
        }, name: "image_encoder.layers.1.blocks.0", channels: channels, heads: heads, window: window)
    }

    @Test func plainBlockBackwardMatchesFiniteDifferences() {
        var g = PlainDecoderTests.Generator(state: 17)
        let (channels, heads, window, height, width) = (8, 2, 3, 4, 5)
        var block = Self.smallBlock(&g, channels: channels, heads: heads, window: window, normWeightsNearOne: true)
        block.qkv.lora = LowRankUpdate(a: Matrix(rows: 2, columns: channels, values: (0..<(2 * channels)).map { _ in Double.random(in: -0.5...0.5, using: &g) }),
                                       b: Matrix(rows: 3 * channels, columns: 2, values: (0..<(6 * channels)).map { _ in Double.random(in: -0.5...0.5, using: &g) }),
                                       scale: 0.5)
        for path in [\PlainTinyViTBlock<Double>.qkv, \.projection, \.fc1, \.fc2] { block[keyPath: path].trainsWeight = true }
        block.attentionNorm.trains = true
        block.mlpNorm.trains = true
        let x = Matrix<Double>(rows: height * width, columns: channels,
                               values: (0..<(height * width * channels)).map { _ in Double.random(in: -1...1, using: &g) })
        let r = (0..<(height * width * channels)).map { _ in Double.random(in: -1...1, using: &g) }
        func loss(_ b: PlainTinyViTBlock<Double>, _ input: Matrix<Double>) -> Double {
            zip(b.forward(input, height: height, width: width).y.values, r).map(*).reduce(0, +)
        }
        var gradients = ParameterGradients<Double>()
        let dx = block.backward(Matrix(rows: height * width, columns: channels, values: r),
                                cache: block.forward(x, height: height, width: width).cache, into: &gradients)
        #expect(gradients.values.count == 2 + 4 * 2 + 2 + 2, "LoRA A and B, four dense layers' weight and bias, two norms")
        let h = 1e-5
        var worst = 0.0
        func check(_ name: String, analytic: Double, numeric: Double) {
            let error = abs(numeric - analytic) / max(1e-3, abs(numeric))
            worst = max(worst, error)
            #expect(error < 1e-6, "\(name): analytic \(analytic), numeric \(numeric)")
        }
        // the input
        let direction = r.indices.map { _ in Double.random(in: -1...1, using: &g) }
        func shifted(_ s: Double) -> Matrix<Double> { Matrix(rows: x.rows, columns: x.columns, values: zip(x.values, direction).map { $0 + s * $1 }) }
        check("input", analytic: zip(dx.values, direction).map(*).reduce(0, +), numeric: (loss(block, shifted(h)) - loss(block, shifted(-h))) / (2 * h))
        // every trained tensor
        for (name, gradient) in gradients.values.sorted(by: { $0.key < $1.key }) {
            let direction = gradient.indices.map { _ in Double.random(in: -1...1, using: &g) }
            func moved(_ s: Double) -> PlainTinyViTBlock<Double> {
                var b = block
                func move(_ values: inout [Double]) { for i in values.indices { values[i] += s * direction[i] } }
                for path in [\PlainTinyViTBlock<Double>.qkv, \.projection, \.fc1, \.fc2] {
                    if name == b[keyPath: path].name + ".weight" { move(&b[keyPath: path].weight.values) }
                    if name == b[keyPath: path].name + ".bias" { move(&b[keyPath: path].bias!) }
                }
                if name == b.qkv.name + ".lora_A" { move(&b.qkv.lora!.a.values) }
                if name == b.qkv.name + ".lora_B" { move(&b.qkv.lora!.b.values) }
                for path in [\PlainTinyViTBlock<Double>.attentionNorm, \.mlpNorm] {
                    if name == b[keyPath: path].name + ".weight" { move(&b[keyPath: path].weight) }
                    if name == b[keyPath: path].name + ".bias" { move(&b[keyPath: path].bias) }
                }
                return b
            }
            check(name, analytic: zip(gradient, direction).map(*).reduce(0, +), numeric: (loss(moved(h), x) - loss(moved(-h), x)) / (2 * h))
        }
        print("plain TinyViT block backward: worst relative error \(worst) over the input and \(gradients.values.count) tensors")
    }

    /// LoRA on the q and v rows of each head: only those rows of qkv change, merged weights give the unmerged
    /// output, and the factors' gradients (and the input's) match finite differences in Double.
    @Test func queryValueLoRATakesThePerHeadSlices() {
        var g = PlainDecoderTests.Generator(state: 23)
        let (channels, heads, window, height, width) = (8, 2, 3, 4, 5)
        var block = Self.smallBlock(&g, channels: channels, heads: heads, window: window, normWeightsNearOne: false)
        var random = SeededRandom(seed: 1)
        block.addQueryValueLoRA(rank: 2, scale: 0.5, random: &random)
        // head size 4: q rows 0-3 and 12-15, k rows 4-7 and 16-19, v rows 8-11 and 20-23
        #expect(block.qkv.rowLoRAs.map(\.rows) == [[0, 1, 2, 3, 12, 13, 14, 15], [8, 9, 10, 11, 20, 21, 22, 23]])
        for i in block.qkv.rowLoRAs.indices {
            block.qkv.rowLoRAs[i].b.values = block.qkv.rowLoRAs[i].b.values.map { _ in Double.random(in: -0.5...0.5, using: &g) }
        }
        let merged = block.qkv.weightWithRowLoRAs
        for row in [4, 5, 6, 7, 16, 17, 18, 19] {
            #expect((0..<channels).allSatisfy { merged.values[row * channels + $0] == block.qkv.weight.values[row * channels + $0] }, "k row \(row) untouched")
        }
        let x = Matrix<Double>(rows: height * width, columns: channels,
                               values: (0..<(height * width * channels)).map { _ in Double.random(in: -1...1, using: &g) })
        var plainMerged = block
        plainMerged.qkv.weight = merged
        plainMerged.qkv.rowLoRAs = []
        let a = block.forward(x, height: height, width: width).y.values, b = plainMerged.forward(x, height: height, width: width).y.values
        #expect(zip(a, b).map { abs($0 - $1) }.max()! < 1e-12, "merged = unmerged")
        let r = (0..<(height * width * channels)).map { _ in Double.random(in: -1...1, using: &g) }
        var gradients = ParameterGradients<Double>()
        _ = block.backward(Matrix(rows: height * width, columns: channels, values: r), cache: block.forward(x, height: height, width: width).cache,
                           into: &gradients)
        let qkvName = block.qkv.name
        #expect(Set(gradients.values.keys) == Set(["q", "v"].flatMap { [qkvName + ".lora_\($0)_A", qkvName + ".lora_\($0)_B"] }))
        for (name, gradient) in gradients.values.sorted(by: { $0.key < $1.key }) {
            let direction = gradient.indices.map { _ in Double.random(in: -1...1, using: &g) }
            func loss(_ s: Double) -> Double {
                var moved = block
                let i = name.contains("_q_") ? 0 : 1
                if name.hasSuffix("_A") { for j in direction.indices { moved.qkv.rowLoRAs[i].a.values[j] += s * direction[j] } }
                else { for j in direction.indices { moved.qkv.rowLoRAs[i].b.values[j] += s * direction[j] } }
                return zip(moved.forward(x, height: height, width: width).y.values, r).map(*).reduce(0, +)
            }
            let numeric = (loss(1e-5) - loss(-1e-5)) / 2e-5, analytic = zip(gradient, direction).map(*).reduce(0, +)
            #expect(abs(numeric - analytic) / max(1e-3, abs(numeric)) < 1e-6, "\(name): analytic \(analytic), numeric \(numeric)")
        }
    }

    /// The plain neck against the engine's on the real weights, and its input gradient against finite differences.
    @Test func plainNeckMatchesTheEngineAndFiniteDifferences() throws {
        if SharedModel.model != nil {
            let tensors = try CheckpointReader.read(path: try ModelWeights.locate(), verifyCRC: false)
            let encoder = TinyViTEncoder(ParameterStore(tensors, source: "checkpoint"), spec: .liteMedSAM)
            let plain = PlainNeck<Float>({ name, _ in tensors[name]!.values }, inputs: 320, outputs: 256)
            var g = PlainDecoderTests.Generator(state: 4)
            let x = (0..<(4096 * 320)).map { _ in Float.random(in: -1...1, using: &g) }
            let fused = encoder.neck(Tensor(shape: [64, 64, 320], data: x)).data
            let reference = plain.forward(Matrix(rows: 4096, columns: 320, values: x), height: 64, width: 64).y.values
            let scale = reference.map(abs).max()!, error = zip(fused, reference).map { abs($0 - $1) }.max()!
            #expect(error <= 1e-4 * scale, "neck: engine vs plain \(error) (max \(scale))")
        } else {
            print("skipping the neck's engine parity: LiteMedSAM weights are not in the cache (make weights)")
        }
        var g = PlainDecoderTests.Generator(state: 8)
        let neck = PlainNeck<Double>({ _, shape in (0..<shape.reduce(1, *)).map { _ in Double.random(in: -0.5...0.5, using: &g) } },
                                     inputs: 6, outputs: 4)
        let (height, width) = (3, 4)
        let x = Matrix<Double>(rows: 12, columns: 6, values: (0..<72).map { _ in Double.random(in: -1...1, using: &g) })
        let r = (0..<48).map { _ in Double.random(in: -1...1, using: &g) }, direction = (0..<72).map { _ in Double.random(in: -1...1, using: &g) }
        var unused = ParameterGradients<Double>()
        let dx = neck.backward(Matrix(rows: 12, columns: 4, values: r), cache: neck.forward(x, height: height, width: width).cache, into: &unused)
        func loss(_ s: Double) -> Double {
            let moved = Matrix(rows: 12, columns: 6, values: zip(x.values, direction).map { $0 + s * $1 })
            return zip(neck.forward(moved, height: height, width: width).y.values, r).map(*).reduce(0, +)
        }
        let numeric = (loss(1e-5) - loss(-1e-5)) / 2e-5, analytic = zip(dx.values, direction).map(*).reduce(0, +)
        #expect(abs(numeric - analytic) / max(1e-3, abs(numeric)) < 1e-6, "neck input gradient: analytic \(analytic), numeric \(numeric)")
        #expect(unused.values.isEmpty, "the neck is frozen")
    }

    /// The engine's frozen prefix, then the plain suffix (stage 4's blocks and the neck), gives the engine's own
    /// embedding of a real slice; the suffix's backward reaches a LoRA on every block's q and v.
    @Test func prefixThenPlainSuffixIsTheEmbedding() throws {
        guard let model = SharedModel.model else { return print("skipping: LiteMedSAM weights are not in the cache (make weights)") }
        let tensors = try CheckpointReader.read(path: try ModelWeights.locate(), verifyCRC: false)
        var suffix = PlainEncoderSuffix<Float>({ name, _ in tensors[name]!.values }, spec: .liteMedSAM)
        let image = try GoldenCase("ct_abdomen_122x101").modelInput()
        let prefix = model.encoder.prefix(image, upTo: 3)
        #expect(prefix.shape == [64, 64, 320])
        let started = Date()
        let (embedding, cache) = suffix.forward(Matrix(rows: 4096, columns: 320, values: prefix.data))
        let forwardSeconds = Date().timeIntervalSince(started)
        let engine = model.encode(image).data
        let scale = engine.map(abs).max()!, error = zip(embedding.values, engine).map { abs($0 - $1) }.max()!
        #expect(error <= 1e-4 * scale, "prefix + plain suffix vs the engine's embedding: \(error) (max \(scale))")
        var random = SeededRandom(seed: 2)
        for i in suffix.blocks.indices { suffix.blocks[i].addQueryValueLoRA(rank: 4, scale: 1, random: &random) }
        var gradients = ParameterGradients<Float>()
        let backwardStart = Date()
        suffix.backward(Matrix(rows: 4096, columns: 256, values: [Float](repeating: 1e-3, count: 4096 * 256)), cache: cache, into: &gradients)
        #expect(gradients.values.count == 2 * 2 * 2, "A and B of q and v in both blocks")
        print("prefix + plain suffix vs engine: \(error) of \(scale); plain suffix forward \(forwardSeconds) s, backward \(Date().timeIntervalSince(backwardStart)) s")
    }
}
