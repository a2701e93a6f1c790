import Foundation
import Tensor

/// SAM's attention with optional channel downsampling (q/k/v projections, 8 heads, out projection).
struct SAMAttention {
    let q: Dense, k: Dense, v: Dense, out: Dense
    let internalDim: Int, heads = 8

    init(_ store: ParameterStore, _ prefix: String, downsample: Int) {
        internalDim = 256 / downsample
        q = Dense(store, prefix + ".q_proj", in: 256, out: internalDim)
        k = Dense(store, prefix + ".k_proj", in: 256, out: internalDim)
        v = Dense(store, prefix + ".v_proj", in: 256, out: internalDim)
        out = Dense(store, prefix + ".out_proj", in: internalDim, out: 256)
    }

    /// queries [lq, 256], keys and values [lk, 256] -> [lq, 256].
    func callAsFunction(q queries: Tensor, k keys: Tensor, v values: Tensor) -> Tensor {
        attend(q(queries), k(keys), v(values))
    }

    /// Attention on already projected queries, keys and values, then the output projection.
    func attend(_ qp: Tensor, _ kp: Tensor, _ vp: Tensor) -> Tensor {
        let lq = qp.shape[0], lk = kp.shape[0], headDim = internalDim / heads
        var attended = [Float](repeating: 0, count: lq * internalDim)
        let layout = Attention.Layout(groupStride: 0, headOffset: headDim, rowStride: internalDim)
        qp.data.withUnsafeBufferPointer { a in kp.data.withUnsafeBufferPointer { b in vp.data.withUnsafeBufferPointer { c in
            attended.withUnsafeMutableBufferPointer { o in
                Attention.forward(q: a.baseAddress!, qLayout: layout, k: b.baseAddress!, kLayout: layout, v: c.baseAddress!,
                                  vLayout: layout, out: o.baseAddress!, outLayout: layout, groups: 1, heads: heads, lq: lq,
                                  lk: lk, keyDim: headDim, valueDim: headDim, scale: 1 / Float(headDim).squareRoot())
            }
        } } }
        return out(Tensor(shape: [lq, internalDim], data: attended))
    }
}

/// The image-side projections of the first two-way block, which do not depend on sparse prompts: computed once per
/// embedding and shared by every prompt without a mask input.
struct DecoderImageCache {
    let keys: Tensor  // embedding + no-mask dense embedding, [4096, 256]
    let tokenToImageKeys: Tensor, tokenToImageValues: Tensor
    let imageToTokenQueries: Tensor
}

/// One block of SAM's two-way transformer.
struct TwoWayBlock {
    let selfAttention: SAMAttention, norm1: Norm
    let tokenToImage: SAMAttention, norm2: Norm
    let mlp1: Dense, mlp2: Dense, norm3: Norm
    let imageToToken: SAMAttention, norm4: Norm
    let skipFirstPositional: Bool

    init(_ store: ParameterStore, _ prefix: String, first: Bool) {
        selfAttention = SAMAttention(store, prefix + ".self_attn", downsample: 1)
        norm1 = Norm(store, prefix + ".norm1", 256)
        tokenToImage = SAMAttention(store, prefix + ".cross_attn_token_to_image", downsample: 2)
        norm2 = Norm(store, prefix + ".norm2", 256)
        mlp1 = Dense(store, prefix + ".mlp.lin1", in: 256, out: 2048)
        mlp2 = Dense(store, prefix + ".mlp.lin2", in: 2048, out: 256)
        norm3 = Norm(store, prefix + ".norm3", 256)
        imageToToken = SAMAttention(store, prefix + ".cross_attn_image_to_token", downsample: 2)
        norm4 = Norm(store, prefix + ".norm4", 256)
        skipFirstPositional = first
    }

    func callAsFunction(queries: Tensor, keys: Tensor, queryPE: Tensor, keyPE: Tensor,
                        cache: DecoderImageCache? = nil) -> (Tensor, Tensor) {
        var queries = queries, keys = keys
        if skipFirstPositional {
            queries = selfAttention(q: queries, k: queries, v: queries)
        } else {
            let q = add(queries, queryPE)
            queries = add(queries, selfAttention(q: q, k: q, v: queries))
        }
        queries = norm1(queries)
        var q = add(queries, queryPE)
        let crossed = cache.map { tokenToImage.tokensToImage(queries: q, keys: $0.tokenToImageKeys, values: $0.tokenToImageValues,
                                                             projected: true) }
            ?? tokenToImage.tokensToImage(queries: q, keys: add(keys, keyPE), values: keys, projected: false)
        queries = norm2(add(queries, crossed))
        var hidden = mlp1(queries)
        for i in hidden.data.indices { hidden.data[i] = max(hidden.data[i], 0) }  // ReLU
        queries = norm3(add(queries, mlp2(hidden)))
        q = add(queries, queryPE)
        let attendedImage = cache.map { imageToToken.imageToTokens(queries: $0.imageToTokenQueries, projected: true, keys: q,
                                                                   values: queries) }
            ?? imageToToken.imageToTokens(queries: add(keys, keyPE), projected: false, keys: q, values: queries)
        keys = norm4(add(keys, attendedImage))
        return (queries, keys)
    }
}

/// A stack of linear layers with ReLU between them (SAM's MLP).
struct ReLUMLP {
    let layers: [Dense]

    init(_ store: ParameterStore, _ prefix: String, sizes: [Int]) {
        layers = (0..<(sizes.count - 1)).map { Dense(store, prefix + ".layers.\($0)", in: sizes[$0], out: sizes[$0 + 1]) }
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        var x = x
        for (i, layer) in layers.enumerated() {
            x = layer(x)
            if i < layers.count - 1 { for j in x.data.indices { x.data[j] = max(x.data[j], 0) } }
        }
        return x
    }
}

/// SAM's mask decoder: two-way transformer (depth 2), transposed-conv upscaling, hypernetwork MLPs, IoU head.
struct MaskDecoder {
    let iouToken: Tensor, maskTokens: Tensor
    let blocks: [TwoWayBlock]
    let finalAttention: SAMAttention, finalNorm: Norm
    let upscale1: Tensor, upscale1Bias: Tensor, upscaleNorm: Norm, upscale2: Tensor, upscale2Bias: Tensor
    let hypernetworks: [ReLUMLP]
    let iouHead: ReLUMLP

    init(_ store: ParameterStore) {
        let p = "mask_decoder."
        iouToken = store.tensor(p + "iou_token.weight", [1, 256])
        maskTokens = store.tensor(p + "mask_tokens.weight", [4, 256])
        blocks = (0..<2).map { TwoWayBlock(store, p + "transformer.layers.\($0)", first: $0 == 0) }
        finalAttention = SAMAttention(store, p + "transformer.final_attn_token_to_image", downsample: 2)
        finalNorm = Norm(store, p + "transformer.norm_final_attn", 256)
        upscale1 = Convolution.transposed2x2Weight(store.tensor(p + "output_upscaling.0.weight", [256, 64, 2, 2]))
        upscale1Bias = store.tensor(p + "output_upscaling.0.bias", [64])
        upscaleNorm = Norm(store, p + "output_upscaling.1", 64, epsilon: 1e-6)
        upscale2 = Convolution.transposed2x2Weight(store.tensor(p + "output_upscaling.3.weight", [64, 32, 2, 2]))
        upscale2Bias = store.tensor(p + "output_upscaling.3.bias", [32])
        hypernetworks = (0..<4).map { ReLUMLP(store, p + "output_hypernetworks_mlps.\($0)", sizes: [256, 256, 256, 32]) }
        iouHead = ReLUMLP(store, p + "iou_prediction_head", sizes: [256, 256, 256, 4])
    }

    /// The prompt-independent first-block work for prompts without a mask input.
    func imageCache(embedding: Tensor, positional: Tensor, noMaskDense: Tensor) -> DecoderImageCache {
        let keys = add(embedding.reshaped([4096, 256]), noMaskDense)
        let withPosition = add(keys, positional)
        let first = blocks[0]
        return DecoderImageCache(keys: keys, tokenToImageKeys: first.tokenToImage.k(withPosition),
                                 tokenToImageValues: first.tokenToImage.v(keys),
                                 imageToTokenQueries: first.imageToToken.q(withPosition))
    }

    /// Low-resolution mask logits [4, 256, 256] and IoU predictions [4] (index 0: single-mask output).
    /// `cache` (from imageCache) replaces `dense` for prompts without a mask input.
    func callAsFunction(embedding: Tensor, positional: Tensor, sparse: Tensor, dense: Tensor?,
                        cache: DecoderImageCache? = nil) -> (masks: Tensor, iou: Tensor) {
        let tokens = Tensor(shape: [5 + sparse.shape[0], 256], data: iouToken.data + maskTokens.data + sparse.data)
        var queries = tokens
        var keys = cache?.keys ?? add(embedding.reshaped([4096, 256]), dense!)
        for (index, block) in blocks.enumerated() {
            (queries, keys) = block(queries: queries, keys: keys, queryPE: tokens, keyPE: positional,
                                    cache: index == 0 ? cache : nil)
        }
        let q = add(queries, tokens), k = add(keys, positional)
        queries = finalNorm(add(queries, finalAttention.tokensToImage(queries: q, keys: k, values: keys, projected: false)))

        // Upscaling: transposed conv, LayerNorm2d, GELU, transposed conv, GELU (each row finished while in cache).
        let norm = upscaleNorm
        let first = Convolution.transposed2x2(keys.reshaped([1, 64, 64, 256]), weight: upscale1, bias: upscale1Bias) { row, pixels in
            LayerNorm.inPlace(row, rows: pixels, weight: norm.weight, bias: norm.bias, epsilon: norm.epsilon)
            Elementwise.geluRange(row, 0..<(pixels * 64))
        }
        let up = Convolution.transposed2x2(first, weight: upscale2, bias: upscale2Bias) { row, pixels in
            Elementwise.geluRange(row, 0..<(pixels * 32))
        }  // [1, 256, 256, 32]
        var hyper: [Float] = []
        for m in 0..<4 {
            let token = Tensor(shape: [1, 256], data: Array(queries.data[((1 + m) * 256)..<((2 + m) * 256)]))
            hyper += hypernetworks[m](token).data
        }
        let perPixel = Linear.forward(up.reshaped([65536, 32]), weight: Tensor(shape: [4, 32], data: hyper), bias: nil)
        var masks = [Float](repeating: 0, count: 4 * 65536)
        for p in 0..<65536 { for m in 0..<4 { masks[m * 65536 + p] = perPixel.data[p * 4 + m] } }
        let iou = iouHead(Tensor(shape: [1, 256], data: Array(queries.data[0..<256])))
        return (Tensor(shape: [4, 256, 256], data: masks), iou.reshaped([4]))
    }
}
