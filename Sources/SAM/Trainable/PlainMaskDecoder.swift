import Foundation
import Tensor

/// SAM's mask decoder as a plain, differentiable model (segment_anything's MaskDecoder with its TwoWayTransformer,
/// PyTorch's order of operations, any scalar type): the single-mask output's low-resolution logits from an image
/// embedding, its dense prompt and positional encoding, and the prompt tokens; and the gradients of the trainable
/// parameters (LoRA factors, or any weights marked trainable) from the logits' gradient. The fused engine
/// (MaskDecoder) is the inference path and is tested against this one.
public struct PlainMaskDecoder<S: TrainingScalar>: Sendable {
    public let dim: Int, grid: Int
    public var iouToken: [S], maskTokens: Matrix<S>
    public var blocks: [TwoWayBlockLayer<S>]
    public var finalAttention: AttentionLayer<S>, finalNorm: NormLayer<S>
    /// Med-SA's adapter after the final attention (with the blocks' adapters, method adapter).
    public var finalAdapter: BottleneckAdapter<S>?
    public var upscale1: (weight: [S], bias: [S]), upscaleNorm: NormLayer<S>, upscale2: (weight: [S], bias: [S])
    /// The single-mask output's hypernetwork (mask token 0): three dense layers with ReLU between.
    public var hypernetwork: [DenseLayer<S>]

    /// Everything the backward pass needs from one forward pass.
    public struct Cache: Sendable {
        let tokens: Matrix<S>, imagePE: Matrix<S>
        let blocks: [TwoWayBlockLayer<S>.Cache]
        let keysOut: Matrix<S>, finalQueries: Matrix<S>, finalCache: AttentionLayer<S>.Cache, finalNorm: LayerNormOp.Cache<S>
        let finalAdapted: BottleneckAdapter<S>.Cache?
        let convolved1: Matrix<S>, upscaleNorm: LayerNormOp.Cache<S>, normed: Matrix<S>, activated1: Matrix<S>
        let convolved2: Matrix<S>, upscaled: Matrix<S>
        /// The input of each hypernetwork layer (after the ReLU for the second and third) and its output.
        let hyperInputs: [Matrix<S>], hyper: [S]
    }

    /// `dim` the transformer width (256 in SAM), `grid` the embedding side (64), `heads` 8, `mlpDim` 2048, `depth` 2.
    public init(_ source: ParameterSource<S>, dim: Int, grid: Int, heads: Int, mlpDim: Int, depth: Int, maskTokens count: Int) {
        typealias Names = CheckpointNames.Decoder
        (self.dim, self.grid) = (dim, grid)
        iouToken = source(Names.iouToken + ".weight", [1, dim])
        maskTokens = Matrix(rows: count, columns: dim, values: source(Names.maskTokens + ".weight", [count, dim]))
        blocks = (0..<depth).map { TwoWayBlockLayer(source, name: Names.block($0), first: $0 == 0, dim: dim, heads: heads, mlpDim: mlpDim) }
        finalAttention = AttentionLayer(source, name: Names.finalAttention, dim: dim, downsample: 2, heads: heads)
        finalNorm = NormLayer(name: Names.finalNorm, weight: source(Names.finalNorm + ".weight", [dim]),
                              bias: source(Names.finalNorm + ".bias", [dim]), epsilon: 1e-5)
        let (c1, c2) = (dim / 4, dim / 8)
        upscale1 = (source(Names.upscaling(0) + ".weight", [dim, c1, 2, 2]), source(Names.upscaling(0) + ".bias", [c1]))
        upscaleNorm = NormLayer(name: Names.upscaling(1), weight: source(Names.upscaling(1) + ".weight", [c1]),
                                bias: source(Names.upscaling(1) + ".bias", [c1]), epsilon: 1e-6)
        upscale2 = (source(Names.upscaling(3) + ".weight", [c1, c2, 2, 2]), source(Names.upscaling(3) + ".bias", [c2]))
        hypernetwork = (0..<3).map { i in
            let path = CheckpointNames.mlpLayer(Names.hypernetwork(0), i), outputs = i == 2 ? c2 : dim
            return DenseLayer(name: path, weight: Matrix(rows: outputs, columns: dim, values: source(path + ".weight", [outputs, dim])),
                              bias: source(path + ".bias", [outputs]))
        }
    }

    /// Low-res logits of the single-mask output, [4 grid x 4 grid] row-major, from the embedding [grid^2, dim]
    /// (row = y * grid + x), the dense prompt embedding and positional encoding (same shape) and the sparse
    /// prompt tokens [s, dim].
    @_specialize(exported: true, where S == Float)
    @_specialize(exported: true, where S == Double)
    public func forward(embedding: Matrix<S>, dense: Matrix<S>, imagePE: Matrix<S>, sparse: Matrix<S>) -> (logits: [S], cache: Cache) {
        var tokenValues = iouToken + maskTokens.values + sparse.values
        let tokens = Matrix(rows: 1 + maskTokens.rows + sparse.rows, columns: dim, values: tokenValues)
        tokenValues = []
        var (queries, keys) = (tokens, embedding + dense)
        var blockCaches: [TwoWayBlockLayer<S>.Cache] = []
        for block in blocks {
            let result = block.forward(queries: queries, keys: keys, queryPE: tokens, keyPE: imagePE)
            (queries, keys) = (result.queries, result.keys)
            blockCaches.append(result.cache)
        }
        let final = finalAttention.forward(q: queries + tokens, k: keys + imagePE, v: keys)
        let adapted = finalAdapter?.forward(final.y)
        let normed = finalNorm.forward(queries + (adapted?.y ?? final.y))
        // upscaling: transposed conv, LayerNorm2d, GELU, transposed conv, GELU
        let convolved1 = TransposedConvOp.forward(keys, height: grid, width: grid, weight: upscale1.weight, bias: upscale1.bias)
        let n = upscaleNorm.forward(convolved1), activated1 = ActivationOp.gelu(n.y)
        let convolved2 = TransposedConvOp.forward(activated1, height: 2 * grid, width: 2 * grid, weight: upscale2.weight,
                                                  bias: upscale2.bias)
        let upscaled = ActivationOp.gelu(convolved2)
        // the hypernetwork of mask token 0 (row 1), then the mask: upscaled pixels . hyper
        var hyperInputs = [Matrix(rows: 1, columns: dim, values: Array(normed.y.values[dim..<(2 * dim)]))]
        for (i, layer) in hypernetwork.enumerated() {
            let out = layer.forward(hyperInputs[i])
            hyperInputs.append(i < 2 ? ActivationOp.relu(out) : out)
        }
        let hyper = hyperInputs.removeLast().values
        let logits = upscaled.multiplied(by: Matrix(rows: hyper.count, columns: 1, values: hyper)).values
        return (logits, Cache(tokens: tokens, imagePE: imagePE, blocks: blockCaches, keysOut: keys, finalQueries: queries,
                              finalCache: final.cache, finalNorm: normed.cache, finalAdapted: adapted?.cache,
                              convolved1: convolved1, upscaleNorm: n.cache, normed: n.y, activated1: activated1,
                              convolved2: convolved2, upscaled: upscaled, hyperInputs: hyperInputs, hyper: hyper))
    }

    /// The gradients of the trainable parameters from the logits' gradient.
    @_specialize(exported: true, where S == Float)
    @_specialize(exported: true, where S == Double)
    public func backward(_ dLogits: [S], cache c: Cache) -> ParameterGradients<S> {
        backwardToEmbedding(dLogits, cache: c).gradients
    }

    /// The gradients of the trainable parameters and the image embedding's gradient (what an adapted encoder before
    /// the decoder trains on) from the logits' gradient.
    @_specialize(exported: true, where S == Float)
    @_specialize(exported: true, where S == Double)
    public func backwardToEmbedding(_ dLogits: [S], cache c: Cache) -> (gradients: ParameterGradients<S>, dEmbedding: Matrix<S>) {
        var g = ParameterGradients<S>()
        let pixels = Matrix(rows: dLogits.count, columns: 1, values: dLogits)
        // logits = upscaled . hyper
        let dUpscaled = pixels.multiplied(by: Matrix(rows: 1, columns: c.hyper.count, values: c.hyper))
        var dHyper = c.upscaled.multiplied(by: pixels, transposeSelf: true)
        dHyper = Matrix(rows: 1, columns: dHyper.rows, values: dHyper.values)
        for i in (0..<hypernetwork.count).reversed() {
            if i < hypernetwork.count - 1 { dHyper = ActivationOp.reluBackward(dHyper, x: c.hyperInputs[i + 1]) }
            dHyper = hypernetwork[i].backward(dHyper, x: c.hyperInputs[i], into: &g)
        }
        var dNormedQueries = Matrix<S>(zeros: c.tokens.rows, dim)
        for j in 0..<dim { dNormedQueries.values[dim + j] = dHyper.values[j] }  // mask token 0 is row 1
        // upscaling, backwards
        let dConvolved2 = ActivationOp.geluBackward(dUpscaled, x: c.convolved2)
        let up2 = TransposedConvOp.backward(dConvolved2, x: c.activated1, height: 2 * grid, width: 2 * grid, weight: upscale2.weight)
        let dNormed = ActivationOp.geluBackward(up2.dx, x: c.normed)
        let dConvolved1 = upscaleNorm.backward(dNormed, cache: c.upscaleNorm, into: &g)
        var dKeys = TransposedConvOp.backward(dConvolved1, x: c.keysOut, height: grid, width: grid, weight: upscale1.weight).dx
        // the final attention and norm
        let dSum = finalNorm.backward(dNormedQueries, cache: c.finalNorm, into: &g)
        var dFinal = dSum
        if let finalAdapter, let cache = c.finalAdapted { dFinal = finalAdapter.backward(dSum, cache: cache, into: &g) }
        let final = finalAttention.backward(dFinal, cache: c.finalCache, into: &g)
        var dQueries = dSum + final.dq
        dKeys = dKeys + final.dk + final.dv
        for (block, cache) in zip(blocks, c.blocks).reversed() {
            (dQueries, dKeys) = block.backward(dQueries: dQueries, dKeys: dKeys, cache: cache, into: &g)
        }
        return (g, dKeys)  // the first keys are embedding + dense
    }
}
