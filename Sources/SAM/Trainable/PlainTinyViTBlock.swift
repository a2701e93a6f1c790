import Foundation
import Tensor

/// TinyViT's transformer block in the plain model (the encoder's trainable part, for adapting the encoder): window
/// attention (input zero-padded to whole windows, then the attention's LayerNorm, qkv, relative-position biases,
/// projection), + input; 3x3 depthwise local conv (BatchNorm folded); MLP (LayerNorm, fc1, GELU, fc2), + input.
/// Rows are the H x W grid's pixels, row-major. The backward pass gives the input's gradient and those of whatever
/// trains (a LoRA on qkv, or weights marked trainable); the local conv stays frozen. The engine's TinyViTBlock is
/// tested against it.
public struct PlainTinyViTBlock<S: TrainingScalar>: Sendable {
    public let channels: Int, heads: Int, window: Int
    public var attentionNorm: NormLayer<S>, qkv: DenseLayer<S>, projection: DenseLayer<S>
    /// Per head, the [window^2, window^2] relative-position biases (attention_biases through TinyViT's offset table).
    public let positionBias: [Matrix<S>]
    /// The local conv with its BatchNorm folded: weight [channels, 9] (3x3 taps row-major), bias [channels].
    public let localWeight: [S], localBias: [S]
    public var mlpNorm: NormLayer<S>, fc1: DenseLayer<S>, fc2: DenseLayer<S>

    /// What the backward pass needs.
    public struct Cache: Sendable {
        let height: Int, width: Int
        /// The padded grid's rows after the attention's norm, and its cache; q, k, v [padded rows, channels].
        let norm: LayerNormOp.Cache<S>, normed: Matrix<S>
        let q: Matrix<S>, k: Matrix<S>, v: Matrix<S>
        /// Per window, the softmax weights; the attention's output over the padded grid.
        let attention: [AttentionOp.Cache<S>], attended: Matrix<S>
        let mlpNorm: LayerNormOp.Cache<S>, mlpIn: Matrix<S>, hidden: Matrix<S>, activated: Matrix<S>
    }

    public init(_ source: ParameterSource<S>, name: String, channels: Int, heads: Int, window: Int) {
        typealias Names = CheckpointNames.TinyViTBlock
        (self.channels, self.heads, self.window) = (channels, heads, window)
        func dense(_ path: String, _ inputs: Int, _ outputs: Int) -> DenseLayer<S> {
            DenseLayer(name: path, weight: Matrix(rows: outputs, columns: inputs, values: source(path + ".weight", [outputs, inputs])),
                       bias: source(path + ".bias", [outputs]))
        }
        func norm(_ path: String) -> NormLayer<S> {
            NormLayer(name: path, weight: source(path + ".weight", [channels]), bias: source(path + ".bias", [channels]), epsilon: 1e-5)
        }
        attentionNorm = norm(Names.attentionNorm(name))
        qkv = dense(Names.qkv(name), channels, 3 * channels)
        projection = dense(Names.projection(name), channels, channels)
        let (indices, offsetCount) = TinyViTBlock.biasIndices(window: window)
        let table = source(Names.attentionBiases(name), [heads, offsetCount]), n = window * window
        positionBias = (0..<heads).map { h in Matrix(rows: n, columns: n, values: indices.map { table[h * offsetCount + $0] }) }
        // Conv2d_BN.fuse(): w * gamma / sqrt(var + eps), beta - mean * gamma / sqrt(var + eps)
        let conv = Names.localConv(name)
        let w = source(conv + ".c.weight", [channels, 1, 3, 3]), gamma = source(conv + ".bn.weight", [channels])
        let beta = source(conv + ".bn.bias", [channels]), mean = source(conv + ".bn.running_mean", [channels])
        let variance = source(conv + ".bn.running_var", [channels])
        let scale = (0..<channels).map { gamma[$0] / (variance[$0] + S(1e-5)).squareRoot() }
        localWeight = (0..<(channels * 9)).map { w[$0] * scale[$0 / 9] }
        localBias = (0..<channels).map { beta[$0] - mean[$0] * scale[$0] }
        mlpNorm = norm(Names.mlpNorm(name))
        (fc1, fc2) = (dense(Names.mlp(name, 1), channels, 4 * channels), dense(Names.mlp(name, 2), 4 * channels, channels))
    }

    /// Key (and value) width of a head; TinyViT's qkv output holds [q k v] per head, head after head.
    var headDim: Int { channels / heads }

    /// The q, k or v columns (part 0, 1, 2) of every head from qkv's interleaved output [n, 3 channels].
    func part(_ p: Int, of x: Matrix<S>) -> Matrix<S> {
        let d = headDim
        var out = Matrix<S>(zeros: x.rows, channels)
        for h in 0..<heads { out.setColumns(h * d, x.columns(h * 3 * d + p * d, d)) }
        return out
    }

    /// The rows of the padded grid (Hp x Wp) in each window, windows row-major, and the padded width.
    func windowRows(height: Int, width: Int) -> (rows: [[Int]], paddedWidth: Int, paddedHeight: Int) {
        let (hp, wp) = ((height + window - 1) / window * window, (width + window - 1) / window * window)
        var all: [[Int]] = []
        for wy in stride(from: 0, to: hp, by: window) {
            for wx in stride(from: 0, to: wp, by: window) {
                all.append((0..<window).flatMap { y in (0..<window).map { x in (wy + y) * wp + wx + x } })
            }
        }
        return (all, wp, hp)
    }

    /// `rows` of `x` as a matrix of their own.
    static func gather(_ x: Matrix<S>, _ rows: [Int]) -> Matrix<S> {
        var out = Matrix<S>(zeros: rows.count, x.columns)
        for (i, r) in rows.enumerated() {
            for c in 0..<x.columns { out.values[i * x.columns + c] = x.values[r * x.columns + c] }
        }
        return out
    }

    /// Writes `part`'s rows into `rows` of `x`.
    static func scatter(_ part: Matrix<S>, _ rows: [Int], into x: inout Matrix<S>) {
        for (i, r) in rows.enumerated() {
            for c in 0..<x.columns { x.values[r * x.columns + c] = part.values[i * x.columns + c] }
        }
    }

    /// The grid's rows zero-padded to whole windows, or the padded grid cropped back (`pad: false`).
    static func padded(_ x: Matrix<S>, height: Int, width: Int, paddedWidth wp: Int, paddedHeight hp: Int, pad: Bool) -> Matrix<S> {
        let c = x.columns
        var out = Matrix<S>(zeros: pad ? hp * wp : height * width, c)
        for y in 0..<height {
            for xx in 0..<width {
                let (grid, pads) = ((y * width + xx) * c, (y * wp + xx) * c)
                let (from, to) = pad ? (grid, pads) : (pads, grid)
                for ch in 0..<c { out.values[to + ch] = x.values[from + ch] }
            }
        }
        return out
    }

    /// `x` [height * width, channels] -> the block's output, same shape. The norm, qkv and projection run once over
    /// the padded grid; the attention per window.
    @_specialize(exported: true, where S == Float)
    @_specialize(exported: true, where S == Double)
    public func forward(_ x: Matrix<S>, height: Int, width: Int) -> (y: Matrix<S>, cache: Cache) {
        let (windows, wp, hp) = windowRows(height: height, width: width)
        let scale = 1 / S(headDim).squareRoot()
        let n = attentionNorm.forward(Self.padded(x, height: height, width: width, paddedWidth: wp, paddedHeight: hp, pad: true))
        let projected = qkv.forward(n.y)
        let (q, k, v) = (part(0, of: projected), part(1, of: projected), part(2, of: projected))
        var attended = Matrix<S>(zeros: hp * wp, channels), caches: [AttentionOp.Cache<S>] = []
        for rows in windows {
            let a = AttentionOp.forward(q: Self.gather(q, rows), k: Self.gather(k, rows), v: Self.gather(v, rows), heads: heads,
                                        scale: scale, bias: positionBias)
            Self.scatter(a.y, rows, into: &attended)
            caches.append(a.cache)
        }
        let out = Self.padded(projection.forward(attended), height: height, width: width, paddedWidth: wp, paddedHeight: hp, pad: false)
        let local = DepthwiseConvOp.forward(x + out, height: height, width: width, weight: localWeight, bias: localBias)
        let m = mlpNorm.forward(local), hidden = fc1.forward(m.y), activated = ActivationOp.gelu(hidden)
        let y = local + fc2.forward(activated)
        return (y, Cache(height: height, width: width, norm: n.cache, normed: n.y, q: q, k: k, v: v, attention: caches,
                         attended: attended, mlpNorm: m.cache, mlpIn: m.y, hidden: hidden, activated: activated))
    }

    /// The input's gradient from the output's, and into `g` the gradients of what trains.
    @_specialize(exported: true, where S == Float)
    @_specialize(exported: true, where S == Double)
    public func backward(_ dy: Matrix<S>, cache c: Cache, into g: inout ParameterGradients<S>) -> Matrix<S> {
        let (height, width) = (c.height, c.width)
        let (windows, wp, hp) = windowRows(height: height, width: width)
        // MLP: y = local + fc2(gelu(fc1(norm(local))))
        let dActivated = fc2.backward(dy, x: c.activated, into: &g)
        let dHidden = ActivationOp.geluBackward(dActivated, x: c.hidden)
        let dLocal = dy + mlpNorm.backward(fc1.backward(dHidden, x: c.mlpIn, into: &g), cache: c.mlpNorm, into: &g)
        // local conv (frozen), then the attention's residual: x + crop(proj(attention(qkv(norm(pad(x))))))
        let dAfter = DepthwiseConvOp.backward(dLocal, height: height, width: width, weight: localWeight)
        let dOut = Self.padded(dAfter, height: height, width: width, paddedWidth: wp, paddedHeight: hp, pad: true)
        let dAttended = projection.backward(dOut, x: c.attended, into: &g)
        let scale = 1 / S(headDim).squareRoot(), d = headDim
        var dq = Matrix<S>(zeros: hp * wp, channels), dk = dq, dv = dq
        for (rows, cache) in zip(windows, c.attention) {
            let a = AttentionOp.backward(Self.gather(dAttended, rows), q: Self.gather(c.q, rows), k: Self.gather(c.k, rows),
                                         v: Self.gather(c.v, rows), heads: heads, scale: scale, cache: cache)
            Self.scatter(a.dq, rows, into: &dq)
            Self.scatter(a.dk, rows, into: &dk)
            Self.scatter(a.dv, rows, into: &dv)
        }
        var dProjected = Matrix<S>(zeros: hp * wp, 3 * channels)
        for h in 0..<heads {
            dProjected.setColumns(h * 3 * d, dq.columns(h * d, d))
            dProjected.setColumns(h * 3 * d + d, dk.columns(h * d, d))
            dProjected.setColumns(h * 3 * d + 2 * d, dv.columns(h * d, d))
        }
        let dInput = attentionNorm.backward(qkv.backward(dProjected, x: c.normed, into: &g), cache: c.norm, into: &g)
        return dAfter + Self.padded(dInput, height: height, width: width, paddedWidth: wp, paddedHeight: hp, pad: false)
    }

    /// LoRA on the q and v rows of every head of qkv (TinyViT's interleaved [q k v] per head, so not the first and
    /// last thirds): A kaiming-uniform from `random` (bound 1 / sqrt(channels)), B zero.
    public mutating func addQueryValueLoRA(rank: Int, scale: S, random: inout SeededRandom) {
        let d = headDim, bound = 1 / Double(channels).squareRoot()
        for (tag, offset) in [("q", 0), ("v", 2 * d)] {
            let rows = (0..<heads).flatMap { h in (0..<d).map { h * 3 * d + offset + $0 } }
            let a = (0..<(rank * channels)).map { _ in S((2 * random.uniform() - 1) * bound) }
            qkv.rowLoRAs.append(RowLowRankUpdate(a: Matrix(rows: rank, columns: channels, values: a), b: Matrix(zeros: rows.count, rank),
                                                 rows: rows, scale: scale, tag: tag))
        }
    }
}
