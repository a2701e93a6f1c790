import Foundation
import Tensor

/// SAM's attention with optional channel downsampling (q/k/v projections, 8 heads, out projection).
struct SAMAttention {
    let q: Dense, k: Dense, v: Dense, out: Dense
    let internalDim: Int, heads = 8
    /// The output projection's weight transposed, [internalDim, 256] (per-head rows for imageToTokenWeights).
    let outTransposed: [Float]

    init(_ store: ParameterStore, _ prefix: String, downsample: Int) {
        internalDim = 256 / downsample
        let name = { CheckpointNames.Attention.projection(prefix, $0) }
        q = Dense(store, name("q"), in: 256, out: internalDim, keepPacked: true)
        k = Dense(store, name("k"), in: 256, out: internalDim, keepPacked: true)
        v = Dense(store, name("v"), in: 256, out: internalDim, keepPacked: true)
        out = Dense(store, name("out"), in: internalDim, out: 256, keepPacked: true)
        let (w, inner) = (out.weight.data, internalDim)
        outTransposed = (0..<(inner * 256)).map { w[($0 % 256) * inner + $0 / 256] }
    }

    /// queries [lq, 256], keys and values [lk, 256] -> [lq, 256]. `groups`: row ranges (the tokens of several
    /// prompts stacked) that attend only within themselves; the projections run once over all rows.
    func callAsFunction(q queries: Tensor, k keys: Tensor, v values: Tensor, groups: [Range<Int>]? = nil) -> Tensor {
        let qp = q(queries), kp = k(keys), vp = v(values)
        let groups = groups ?? [0..<qp.shape[0]]
        precondition(qp.shape[0] == kp.shape[0] || groups.count == 1, "grouped attention attends within each group")
        var attended = Tensor.uninitialized([qp.shape[0], internalDim])
        let layout = Attention.Layout(groupStride: 0, headOffset: headDim, rowStride: internalDim)
        qp.data.withUnsafeBufferPointer { a in kp.data.withUnsafeBufferPointer { b in vp.data.withUnsafeBufferPointer { c in
            attended.data.withUnsafeMutableBufferPointer { o in
                for group in groups {
                    let (queryRows, keyRows) = groups.count == 1 ? (qp.shape[0], kp.shape[0]) : (group.count, group.count)
                    let offset = group.lowerBound * internalDim
                    Attention.forward(q: a.baseAddress! + offset, qLayout: layout, k: b.baseAddress! + offset, kLayout: layout,
                                      v: c.baseAddress! + offset, vLayout: layout, out: o.baseAddress! + offset,
                                      outLayout: layout, groups: 1, heads: heads, lq: queryRows, lk: keyRows, keyDim: headDim,
                                      valueDim: headDim, scale: scale)
                }
            }
        } } }
        return out(attended)
    }
}

/// One block of SAM's two-way transformer.
struct TwoWayBlock {
    let selfAttention: SAMAttention, norm1: Norm
    let tokenToImage: SAMAttention, norm2: Norm
    let mlp1: Dense, mlp2: Dense, norm3: Norm
    let imageToToken: SAMAttention, norm4: Norm
    let skipFirstPositional: Bool
    /// Med-SA adapters, when the weights hold them (the shared-image route does not run them: LiteMedSAM.decode
    /// takes PyTorch's order then).
    let adapters: BlockEngineAdapters?

    init(_ store: ParameterStore, _ prefix: String, first: Bool, mlpDim: Int) {
        typealias Names = CheckpointNames.TwoWayBlock
        selfAttention = SAMAttention(store, Names.selfAttention(prefix), downsample: 1)
        norm1 = Norm(store, Names.norm(prefix, 1), 256)
        tokenToImage = SAMAttention(store, Names.tokenToImage(prefix), downsample: 2)
        norm2 = Norm(store, Names.norm(prefix, 2), 256)
        mlp1 = Dense(store, Names.mlp(prefix, 1), in: 256, out: mlpDim, keepPacked: true)
        mlp2 = Dense(store, Names.mlp(prefix, 2), in: mlpDim, out: 256, keepPacked: true)
        norm3 = Norm(store, Names.norm(prefix, 3), 256)
        imageToToken = SAMAttention(store, Names.imageToToken(prefix), downsample: 2)
        norm4 = Norm(store, Names.norm(prefix, 4), 256)
        skipFirstPositional = first
        adapters = BlockEngineAdapters(store, prefix)
    }

    /// The token side of the block: self attention, the token-to-image attention (`crossAttend` gets the queries
    /// with positional encoding), the MLP, with their residuals and norms.
    /// `groups`: the row ranges of stacked prompts (self attention stays within each).
    func updateTokens(_ queries: Tensor, queryPE: Tensor, groups: [Range<Int>]? = nil, crossAttend: (Tensor) -> Tensor) -> Tensor {
        let queries = selfAttended(queries, queryPE: queryPE, groups: groups)
        return finishTokens(queries, crossAttended: crossAttend(add(queries, queryPE)))
    }

    /// updateTokens up to the token-to-image attention: self attention, its residual and norm1.
    func selfAttended(_ queries: Tensor, queryPE: Tensor, groups: [Range<Int>]? = nil) -> Tensor {
        let adapt = { (y: Tensor) in adapters?.selfAttention(y) ?? y }
        if skipFirstPositional { return norm1(adapt(selfAttention(q: queries, k: queries, v: queries, groups: groups))) }
        let q = add(queries, queryPE)
        return norm1(add(queries, adapt(selfAttention(q: q, k: q, v: queries, groups: groups))))
    }

    /// The rest of updateTokens from the token-to-image attention's output: residual and norm2, the MLP, norm3.
    func finishTokens(_ queries: Tensor, crossAttended: Tensor) -> Tensor {
        let queries = norm2(add(queries, adapters?.tokenToImage(crossAttended) ?? crossAttended))
        var hidden = mlp1(queries)
        for i in hidden.data.indices { hidden.data[i] = max(hidden.data[i], 0) }  // ReLU
        let mlpOutput = mlp2(hidden)
        return norm3(add(queries, adapters.map { add(mlpOutput, $0.mlp(queries)) } ?? mlpOutput))
    }

    /// The whole block on image keys [n, 256] -> (tokens, image), in PyTorch's order of operations.
    func callAsFunction(queries: Tensor, keys: Tensor, queryPE: Tensor, keyPE: Tensor) -> (Tensor, Tensor) {
        let keysWithPosition = add(keys, keyPE)
        let queries = updateTokens(queries, queryPE: queryPE) {
            tokenToImage.tokensToImage(queries: $0, keys: keysWithPosition, values: keys)
        }
        let attended = imageToToken.imageToTokens(queries: keysWithPosition, keys: add(queries, queryPE), values: queries)
        return (queries, norm4(add(keys, adapters?.imageToToken(attended) ?? attended)))
    }
}

/// A stack of linear layers with ReLU between them (SAM's MLP).
struct ReLUMLP {
    let layers: [Dense]

    init(_ store: ParameterStore, _ prefix: String, sizes: [Int]) {
        layers = (0..<(sizes.count - 1)).map {
            Dense(store, CheckpointNames.mlpLayer(prefix, $0), in: sizes[$0], out: sizes[$0 + 1], keepPacked: true)
        }
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
