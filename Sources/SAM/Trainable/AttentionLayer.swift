import Foundation
import Tensor

/// Where the plain model's parameters come from: a tensor by checkpoint name and shape (the checkpoint, converted
/// to the scalar type, or random values for gradient checks at small sizes).
public typealias ParameterSource<S: TrainingScalar> = (_ name: String, _ shape: [Int]) -> [S]

/// SAM's attention in the plain model: q/k/v projections (to dim / downsample), 8 heads (or `heads`),
/// softmax(q k^T / sqrt(head size)) v, output projection; with its backward pass.
public struct AttentionLayer<S: TrainingScalar>: Sendable {
    public var q: DenseLayer<S>, k: DenseLayer<S>, v: DenseLayer<S>, out: DenseLayer<S>
    public let heads: Int

    /// What the backward pass needs.
    public struct Cache: Sendable {
        let qIn: Matrix<S>, kIn: Matrix<S>, vIn: Matrix<S>
        let qp: Matrix<S>, kp: Matrix<S>, vp: Matrix<S>
        let attention: AttentionOp.Cache<S>
        let attended: Matrix<S>
    }

    public init(_ source: ParameterSource<S>, name: String, dim: Int, downsample: Int, heads: Int) {
        let inner = dim / downsample
        func dense(_ projection: String, _ inputs: Int, _ outputs: Int) -> DenseLayer<S> {
            let path = CheckpointNames.Attention.projection(name, projection)
            return DenseLayer(name: path, weight: Matrix(rows: outputs, columns: inputs, values: source(path + ".weight", [outputs, inputs])),
                              bias: source(path + ".bias", [outputs]))
        }
        (q, k, v, out) = (dense("q", dim, inner), dense("k", dim, inner), dense("v", dim, inner), dense("out", inner, dim))
        self.heads = heads
    }

    var scale: S { 1 / S(q.outputs / heads).squareRoot() }

    @_specialize(exported: true, where S == Float)
    @_specialize(exported: true, where S == Double)
    public func forward(q qIn: Matrix<S>, k kIn: Matrix<S>, v vIn: Matrix<S>) -> (y: Matrix<S>, cache: Cache) {
        let (qp, kp, vp) = (q.forward(qIn), k.forward(kIn), v.forward(vIn))
        let (attended, attention) = AttentionOp.forward(q: qp, k: kp, v: vp, heads: heads, scale: scale)
        return (out.forward(attended), Cache(qIn: qIn, kIn: kIn, vIn: vIn, qp: qp, kp: kp, vp: vp, attention: attention,
                                             attended: attended))
    }

    /// Gradients of the three inputs.
    @_specialize(exported: true, where S == Float)
    @_specialize(exported: true, where S == Double)
    public func backward(_ dy: Matrix<S>, cache c: Cache, into gradients: inout ParameterGradients<S>)
        -> (dq: Matrix<S>, dk: Matrix<S>, dv: Matrix<S>) {
        let dAttended = out.backward(dy, x: c.attended, into: &gradients)
        let d = AttentionOp.backward(dAttended, q: c.qp, k: c.kp, v: c.vp, heads: heads, scale: scale, cache: c.attention)
        return (q.backward(d.dq, x: c.qIn, into: &gradients), k.backward(d.dk, x: c.kIn, into: &gradients),
                v.backward(d.dv, x: c.vIn, into: &gradients))
    }

    /// The projections LoRA adapts (q and v, as Cheap Lunch and SAMed do).
    public var adaptable: [WritableKeyPath<AttentionLayer, DenseLayer<S>>] { [\.q, \.v] }
}
