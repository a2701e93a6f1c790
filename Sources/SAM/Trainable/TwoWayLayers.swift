import Foundation
import Tensor

/// One block of SAM's two-way transformer in the plain model: token self attention, tokens to image, MLP, image to
/// tokens, each with its residual and norm (and with Med-SA adapters, when added, after each attention and beside
/// the MLP); with its backward pass (gradients of the tokens and the image rows).
public struct TwoWayBlockLayer<S: TrainingScalar>: Sendable {
    public var selfAttention: AttentionLayer<S>, tokenToImage: AttentionLayer<S>, imageToToken: AttentionLayer<S>
    public var norms: [NormLayer<S>]
    public var mlp1: DenseLayer<S>, mlp2: DenseLayer<S>
    public let skipFirstPositional: Bool
    /// Med-SA's bottleneck adapters (method adapter), none when frozen or adapted otherwise.
    public var adapters: BlockAdapters<S>?

    public struct Cache: Sendable {
        let selfCache: AttentionLayer<S>.Cache, norm1: LayerNormOp.Cache<S>
        let crossCache: AttentionLayer<S>.Cache, norm2: LayerNormOp.Cache<S>
        let mlpIn: Matrix<S>, hidden: Matrix<S>, activated: Matrix<S>, norm3: LayerNormOp.Cache<S>
        let backCache: AttentionLayer<S>.Cache, norm4: LayerNormOp.Cache<S>
        /// The adapters' caches (self attention, token to image, MLP, image to token) when the block has adapters.
        let adapted: [BottleneckAdapter<S>.Cache]?
    }

    public init(_ source: ParameterSource<S>, name: String, first: Bool, dim: Int, heads: Int, mlpDim: Int) {
        typealias Names = CheckpointNames.TwoWayBlock
        selfAttention = AttentionLayer(source, name: Names.selfAttention(name), dim: dim, downsample: 1, heads: heads)
        tokenToImage = AttentionLayer(source, name: Names.tokenToImage(name), dim: dim, downsample: 2, heads: heads)
        imageToToken = AttentionLayer(source, name: Names.imageToToken(name), dim: dim, downsample: 2, heads: heads)
        norms = (1...4).map { i in
            let path = Names.norm(name, i)
            return NormLayer(name: path, weight: source(path + ".weight", [dim]), bias: source(path + ".bias", [dim]), epsilon: 1e-5)
        }
        func dense(_ path: String, _ inputs: Int, _ outputs: Int) -> DenseLayer<S> {
            DenseLayer(name: path, weight: Matrix(rows: outputs, columns: inputs, values: source(path + ".weight", [outputs, inputs])),
                       bias: source(path + ".bias", [outputs]))
        }
        (mlp1, mlp2) = (dense(Names.mlp(name, 1), dim, mlpDim), dense(Names.mlp(name, 2), mlpDim, dim))
        skipFirstPositional = first
    }

    @_specialize(exported: true, where S == Float)
    @_specialize(exported: true, where S == Double)
    public func forward(queries: Matrix<S>, keys: Matrix<S>, queryPE: Matrix<S>, keyPE: Matrix<S>)
        -> (queries: Matrix<S>, keys: Matrix<S>, cache: Cache) {
        var adapted: [BottleneckAdapter<S>.Cache] = []
        /// An attention's output through its adapter (with skip), when the block has adapters.
        func adapt(_ y: Matrix<S>, _ adapter: KeyPath<BlockAdapters<S>, BottleneckAdapter<S>>) -> Matrix<S> {
            guard let adapters else { return y }
            let result = adapters[keyPath: adapter].forward(y)
            adapted.append(result.cache)
            return result.y
        }
        var q = queries
        let selfResult: (y: Matrix<S>, cache: AttentionLayer<S>.Cache)
        if skipFirstPositional {
            selfResult = selfAttention.forward(q: q, k: q, v: q)
            q = adapt(selfResult.y, \.selfAttention)
        } else {
            let withPE = q + queryPE
            selfResult = selfAttention.forward(q: withPE, k: withPE, v: q)
            q = q + adapt(selfResult.y, \.selfAttention)
        }
        let n1 = norms[0].forward(q)
        let keysWithPE = keys + keyPE
        let cross = tokenToImage.forward(q: n1.y + queryPE, k: keysWithPE, v: keys)
        let n2 = norms[1].forward(n1.y + adapt(cross.y, \.tokenToImage))
        let hidden = mlp1.forward(n2.y), activated = ActivationOp.relu(hidden)
        var mlpOut = mlp2.forward(activated)
        if let adapters {
            let beside = adapters.mlp.forward(n2.y)
            adapted.append(beside.cache)
            mlpOut = mlpOut + beside.y
        }
        let n3 = norms[2].forward(n2.y + mlpOut)
        let back = imageToToken.forward(q: keysWithPE, k: n3.y + queryPE, v: n3.y)
        let n4 = norms[3].forward(keys + adapt(back.y, \.imageToToken))
        return (n3.y, n4.y, Cache(selfCache: selfResult.cache, norm1: n1.cache, crossCache: cross.cache, norm2: n2.cache,
                                  mlpIn: n2.y, hidden: hidden, activated: activated, norm3: n3.cache,
                                  backCache: back.cache, norm4: n4.cache, adapted: adapters == nil ? nil : adapted))
    }

    /// Gradients of the block's input tokens and image rows from those of its outputs.
    @_specialize(exported: true, where S == Float)
    @_specialize(exported: true, where S == Double)
    public func backward(dQueries: Matrix<S>, dKeys: Matrix<S>, cache c: Cache, into g: inout ParameterGradients<S>)
        -> (dQueries: Matrix<S>, dKeys: Matrix<S>) {
        /// Back through an attention's adapter (cache `index`), when the block has adapters.
        func unadapt(_ dy: Matrix<S>, _ adapter: KeyPath<BlockAdapters<S>, BottleneckAdapter<S>>, _ index: Int) -> Matrix<S> {
            guard let adapters, let caches = c.adapted else { return dy }
            return adapters[keyPath: adapter].backward(dy, cache: caches[index], into: &g)
        }
        // image to tokens: keys1 = norm4(keys + adapter(attn(q: keys + keyPE, k: n3 + queryPE, v: n3)))
        let dSum4 = norms[3].backward(dKeys, cache: c.norm4, into: &g)
        let back = imageToToken.backward(unadapt(dSum4, \.imageToToken, 3), cache: c.backCache, into: &g)
        var dKeysIn = dSum4 + back.dq
        let dN3 = dQueries + back.dk + back.dv
        // MLP: n3 = norm3(n2 + mlp2(relu(mlp1(n2))) + 0.5 adapter(n2))
        let dSum3 = norms[2].backward(dN3, cache: c.norm3, into: &g)
        let dActivated = mlp2.backward(dSum3, x: c.activated, into: &g)
        let dHidden = ActivationOp.reluBackward(dActivated, x: c.hidden)
        var dN2 = dSum3 + mlp1.backward(dHidden, x: c.mlpIn, into: &g)
        if let adapters, let caches = c.adapted { dN2 = dN2 + adapters.mlp.backward(dSum3, cache: caches[2], into: &g) }
        // tokens to image: n2 = norm2(n1 + adapter(attn(q: n1 + queryPE, k: keys + keyPE, v: keys)))
        let dSum2 = norms[1].backward(dN2, cache: c.norm2, into: &g)
        let cross = tokenToImage.backward(unadapt(dSum2, \.tokenToImage, 1), cache: c.crossCache, into: &g)
        dKeysIn = dKeysIn + cross.dk + cross.dv
        let dN1 = dSum2 + cross.dq
        // self attention
        let dSum1 = norms[0].backward(dN1, cache: c.norm1, into: &g)
        let selfGrad = selfAttention.backward(unadapt(dSum1, \.selfAttention, 0), cache: c.selfCache, into: &g)
        let dInputs = selfGrad.dq + selfGrad.dk + selfGrad.dv
        return (skipFirstPositional ? dInputs : dSum1 + dInputs, dKeysIn)
    }
}
