import Foundation
import Tensor

/// S-SAM's parameterisation of a dense layer's weight: W = U diag(ReLU(scale * S + shift)) V^T from the frozen
/// weight's thin SVD, with `scale` (1 at start) and `shift` (0) trained, so the untrained layer is the frozen one.
public struct SingularValueTuning<S: TrainingScalar>: Sendable {
    public let u: Matrix<S>, s: [S], vt: Matrix<S>
    public var scale: [S], shift: [S]

    /// The SVD of `weight` (computed in Double); nil when LAPACK does not converge.
    public init?(weight: Matrix<S>) {
        let double = Matrix(rows: weight.rows, columns: weight.columns, values: weight.values.map { Double($0) })
        guard let svd = SingularValueDecomposition.decompose(double) else { return nil }
        u = Matrix(rows: svd.u.rows, columns: svd.u.columns, values: svd.u.values.map { S($0) })
        vt = Matrix(rows: svd.vt.rows, columns: svd.vt.columns, values: svd.vt.values.map { S($0) })
        s = svd.s.map { S($0) }
        (scale, shift) = ([S](repeating: 1, count: s.count), [S](repeating: 0, count: s.count))
    }

    /// The tuned singular values, ReLU(scale * S + shift).
    public var values: [S] { s.indices.map { max(0, scale[$0] * s[$0] + shift[$0]) } }

    /// U diag(values) V^T.
    public var weight: Matrix<S> {
        var scaled = u
        let tuned = values
        for r in 0..<u.rows { for c in 0..<u.columns { scaled.values[r * u.columns + c] *= tuned[c] } }
        return scaled.multiplied(by: vt)
    }

    /// The gradients of scale and shift from the layer's output gradient dy [n, out] and input x [n, in]:
    /// with g_i = u_i^T dW v_i = sum over rows of (dy U)_i (x V)_i, dscale_i = g_i S_i and dshift_i = g_i where the
    /// ReLU passes.
    public func gradients(dy: Matrix<S>, x: Matrix<S>) -> (scale: [S], shift: [S]) {
        let dyU = dy.multiplied(by: u), xV = x.multiplied(by: vt, transposeOther: true)
        let k = s.count
        var g = [S](repeating: 0, count: k)
        for n in 0..<dy.rows { for i in 0..<k { g[i] += dyU.values[n * k + i] * xV.values[n * k + i] } }
        var (dScale, dShift) = (g, g)
        for i in 0..<k {
            let passes = scale[i] * s[i] + shift[i] > 0
            (dScale[i], dShift[i]) = (passes ? g[i] * s[i] : 0, passes ? g[i] : 0)
        }
        return (dScale, dShift)
    }
}
