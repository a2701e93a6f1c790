import Foundation
import Parallelism
import Tensor

/// SAM's mask decoder: two-way transformer (depth 2), transposed-conv upscaling, hypernetwork MLPs, IoU head.
/// Two routes give the same outputs: `callAsFunction` follows PyTorch's order of operations (any dense prompt,
/// and the reference in tests); `decodeShared` (SharedImageDecoding) reuses an image cache across the prompts
/// of one slice.
struct MaskDecoder {
    let iouToken: Tensor, maskTokens: Tensor
    let blocks: [TwoWayBlock]
    let finalAttention: SAMAttention, finalNorm: Norm
    let upscale1: Tensor, upscale1Bias: Tensor, upscaleNorm: Norm, upscale2: Tensor, upscale2Bias: Tensor
    /// upscale2's taps for output rows with ky = 0 and 1, [64, 2 * 32] each (columns kx, channel), packed.
    let upscale2Taps: [SmallGEMM.PackedB]
    let hypernetworks: [ReLUMLP]
    let iouHead: ReLUMLP
    /// The image's positional encoding [4096, 256] (from the prompt encoder).
    let positional: Tensor
    let shared: SharedImageWeights
    /// Med-SA's adapter after the final attention, with the blocks' (an adapter file of method "adapter").
    let finalAdapter: EngineAdapter?

    init(_ store: ParameterStore, spec: ModelSpec, positional: Tensor) {
        typealias Names = CheckpointNames.Decoder
        iouToken = store.tensor(Names.iouToken + ".weight", [1, 256])
        maskTokens = store.tensor(Names.maskTokens + ".weight", [spec.maskTokens, 256])
        blocks = (0..<spec.decoderDepth).map { TwoWayBlock(store, Names.block($0), first: $0 == 0, mlpDim: spec.decoderMLPDim) }
        finalAttention = SAMAttention(store, Names.finalAttention, downsample: 2)
        finalNorm = Norm(store, Names.finalNorm, 256)
        upscale1 = Convolution.transposed2x2Weight(store.tensor(Names.upscaling(0) + ".weight", [256, 64, 2, 2]))
        upscale1Bias = store.tensor(Names.upscaling(0) + ".bias", [64])
        upscaleNorm = Norm(store, Names.upscaling(1), 64, epsilon: 1e-6)
        upscale2 = Convolution.transposed2x2Weight(store.tensor(Names.upscaling(3) + ".weight", [64, 32, 2, 2]))
        upscale2Bias = store.tensor(Names.upscaling(3) + ".bias", [32])
        let taps = upscale2
        upscale2Taps = (0..<2).map { ky in
            taps.data.withUnsafeBufferPointer { SmallGEMM.PackedB($0.baseAddress! + ky * 64, ldb: 128, k: 64, n: 64) }
        }
        hypernetworks = (0..<spec.maskTokens).map { ReLUMLP(store, Names.hypernetwork($0), sizes: [256, 256, 256, 32]) }
        iouHead = ReLUMLP(store, Names.iouHead, sizes: [256, 256, 256, spec.maskTokens])
        self.positional = positional
        shared = SharedImageWeights(blocks: blocks, upscale: upscale1, upscaleBias: upscale1Bias, positional: positional)
        finalAdapter = EngineAdapter(store, BlockAdapters<Float>.attentionName(Names.finalAttention), skip: true)
    }

    /// Whether Med-SA adapters run: then only PyTorch's order of operations decodes (the shared-image route folds
    /// the image updates algebraically, which the adapters' GELU does not allow).
    var hasAdapters: Bool { finalAdapter != nil || blocks.contains { $0.adapters != nil } }

    /// The IoU token, the four mask tokens, then the sparse prompt embeddings: [5 + s, 256].
    func tokens(_ sparse: Tensor) -> Tensor {
        Tensor(shape: [5 + sparse.shape[0], 256], data: iouToken.data + maskTokens.data + sparse.data)
    }

    /// Low-resolution mask logits ([256, 256] each) and IoU predictions for the mask outputs `outputs` (0: the
    /// single-mask output, 1...3: the multimask ones), in PyTorch's order of operations.
    func callAsFunction(embedding: Tensor, sparse: Tensor, dense: Tensor, outputs: [Int]) -> (masks: [Tensor], iou: [Float]) {
        let tokens = tokens(sparse)
        var queries = tokens
        var keys = add(embedding.reshaped([4096, 256]), dense)
        for block in blocks {
            (queries, keys) = block(queries: queries, keys: keys, queryPE: tokens, keyPE: positional)
        }
        let norm = upscaleNorm
        let upscaled = Convolution.transposed2x2(keys.reshaped([1, 64, 64, 256]), weight: upscale1, bias: upscale1Bias) { row, pixels in
            LayerNorm.inPlace(row, rows: pixels, weight: norm.weight, bias: norm.bias, epsilon: norm.epsilon)
            Elementwise.geluRange(row, 0..<(pixels * 64))
        }
        var attention = finalAttentionOutput(queries: queries, tokens: tokens, keys: keys, outputs: outputs)
        if let finalAdapter { attention = finalAdapter(attention) }
        return finish(queries: queries, attention: attention, upscaled: upscaled, outputs: outputs)
    }

    /// The final token-to-image attention in PyTorch's order, only for the IoU token and the wanted mask tokens
    /// (tokens attend independently): [1 + outputs.count, 256].
    func finalAttentionOutput(queries: Tensor, tokens: Tensor, keys: Tensor, outputs: [Int]) -> Tensor {
        let folded = finalQueries(queries: queries, tokens: tokens, outputs: outputs), withPosition = add(keys, positional)
        var scores = Tensor.uninitialized([folded.shape[0], keys.shape[0]])
        folded.data.withUnsafeBufferPointer { f in withPosition.data.withUnsafeBufferPointer { k in
            scores.data.withUnsafeMutableBufferPointer { s in
                GEMM.multiply(f.baseAddress!, k.baseAddress!, into: s.baseAddress!, m: folded.shape[0], n: keys.shape[0],
                              k: 256, transposeB: true)
            }
        } }
        return finalAttention.attend(scores: scores, values: keys)
    }

    /// The end of PyTorch's order: the IoU head, the hypernetworks (heads), and each mask as the product of its
    /// hypernetwork vector with the GELU of the last transposed conv (masks). `attention`: the final attention's
    /// output for the IoU token and the wanted mask tokens; `upscaled`: the first upscaling step, LayerNorm2d and
    /// GELU applied, [1, 128, 128, 64].
    func finish(queries: Tensor, attention: Tensor, upscaled: Tensor, outputs: [Int]) -> (masks: [Tensor], iou: [Float]) {
        let (hyper, iou) = heads(queries: queries, attention: attention, outputs: outputs)
        return (masks(upscaled: upscaled, hyper: hyper), iou)
    }

    /// The hypernetwork vectors and IoU predictions of `outputs` from the final attention's output (as finish).
    func heads(queries: Tensor, attention: Tensor, outputs: [Int]) -> (hyper: [[Float]], iou: [Float]) {
        let picked = Self.rows([0] + outputs.map { $0 + 1 }, of: queries)
        let final = finalNorm(add(picked, attention))
        let iou = iouHead(Self.rows([0], of: final)).data
        let hyper = outputs.indices.map { hypernetworks[outputs[$0]](Self.rows([$0 + 1], of: final)).data }
        return (hyper, outputs.map { iou[$0] })
    }

    /// The final attention's folded queries (SAMAttention.foldedQueries) for the IoU token and the mask tokens
    /// of `outputs`.
    func finalQueries(queries: Tensor, tokens: Tensor, outputs: [Int]) -> Tensor {
        let rows = [0] + outputs.map { $0 + 1 }
        return finalAttention.foldedQueries(add(Self.rows(rows, of: queries), Self.rows(rows, of: tokens)))
    }

    /// GELU(transposed conv 2(upscaled)) . hyper[m] per pixel: [256, 256] per hypernetwork vector, row by row
    /// of `upscaled` [1, 128, 128, 64] (maskRows).
    func masks(upscaled: Tensor, hyper: [[Float]]) -> [Tensor] {
        let count = hyper.count, (height, width) = (upscaled.shape[1], upscaled.shape[2]), side = 2 * width
        guard count > 0 else { return [] }
        var masks = [Float](repeating: 0, count: count * side * side)
        let vectors = hyper.flatMap { $0 }
        masks.withUnsafeMutableBufferPointer { m in
            let out = UncheckedPointer(m.baseAddress!)
            withPointers([upscaled, Tensor(shape: [vectors.count], data: vectors), upscale2Bias]) { p in
                ParallelLoop.forRanges(count: height) { rows in
                    let scratch = UnsafeMutablePointer<Float>.allocate(capacity: side * upscale2Bias.count)
                    defer { scratch.deallocate() }
                    for y in rows {
                        maskRows(fromUpscaled: p[0].pointer + y * width * 64, row: y, width: width, bias: p[2].pointer,
                                 hyper: p[1].pointer, count: count, scratch: scratch, into: out.pointer, side: side)
                    }
                }
            }
        }
        return (0..<count).map { Tensor(shape: [side, side], data: Array(masks[($0 * side * side)..<(($0 + 1) * side * side)])) }
    }

    /// Mask rows 2y and 2y + 1 (of `count` masks [side, side] at `masks`) from upscaled row y ([width, 64]): for
    /// each ky, the last transposed conv's output row (one SmallGEMM product into `scratch` [2 width, 32]), then per
    /// pixel GELU(row + bias) . hyper[m]; the bias, the GELU and the first vector's product share one pass.
    @inline(__always)
    func maskRows(fromUpscaled row: UnsafePointer<Float>, row y: Int, width: Int, bias: UnsafePointer<Float>,
                  hyper: UnsafePointer<Float>, count: Int, scratch: UnsafeMutablePointer<Float>,
                  into masks: UnsafeMutablePointer<Float>, side: Int) {
        let channels = upscale2Bias.count, pixels = 2 * width
        let (half, invSqrt2) = (V8(repeating: 0.5), V8(repeating: 0.70710678118654752))
        for ky in 0..<2 {
            SmallGEMM.multiply(row, lda: upscale1Bias.count, upscale2Taps[ky], into: scratch, ldc: 2 * channels, m: width,
                               accumulate: false)
            let target = masks + (2 * y + ky) * side
            for pixel in 0..<pixels {
                let x = scratch + pixel * channels
                var sum = V8()
                for c in stride(from: 0, to: channels, by: 8) {
                    let z = load8(x + c) + load8(bias + c), hz = half * z
                    let g = hz.addingFusedProduct(hz, Elementwise.erf(z * invSqrt2))
                    if count > 1 { store8(g, x + c) }  // kept for the other masks' products
                    sum = sum.addingFusedProduct(g, load8(hyper + c))
                }
                target[pixel] = sum.sum()
            }
            for mask in 1..<max(1, count) {
                let w = hyper + mask * channels, other = target + mask * side * side
                for pixel in 0..<pixels {
                    let x = scratch + pixel * channels
                    var sum = V8()
                    for c in stride(from: 0, to: channels, by: 8) { sum = sum.addingFusedProduct(load8(x + c), load8(w + c)) }
                    other[pixel] = sum.sum()
                }
            }
        }
    }

    /// The given rows of a [r, c] tensor.
    static func rows(_ indices: [Int], of x: Tensor) -> Tensor {
        let c = x.shape[1]
        return Tensor(shape: [indices.count, c], data: indices.flatMap { x.data[($0 * c)..<(($0 + 1) * c)] })
    }
}
