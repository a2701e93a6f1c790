import Foundation

/// Multi-head scaled dot-product attention, softmax(Q K^T * scale + bias) V per head, on matrices whose columns
/// hold the heads side by side ([tokens, heads * dim]), with its reverse-mode pass. `bias` (TinyViT's relative
/// position bias, one [lq, lk] matrix per head) is optional.
public enum AttentionOp {
    /// The softmax weights of each head, [lq, lk], for the backward pass.
    public struct Cache<S: TrainingScalar>: Sendable {
        public let weights: [Matrix<S>]

        @inlinable
        public init(weights: [Matrix<S>]) { self.weights = weights }
    }

    @inlinable
    public static func forward<S>(q: Matrix<S>, k: Matrix<S>, v: Matrix<S>, heads: Int, scale: S,
                                  bias: [Matrix<S>]? = nil) -> (y: Matrix<S>, cache: Cache<S>) {
        let (kd, vd) = (q.columns / heads, v.columns / heads)
        precondition(q.columns == k.columns && k.rows == v.rows && kd * heads == q.columns && vd * heads == v.columns)
        var y = Matrix<S>(zeros: q.rows, v.columns)
        var weights: [Matrix<S>] = []
        for h in 0..<heads {
            var scores = q.columns(h * kd, kd).multiplied(by: k.columns(h * kd, kd), transposeOther: true)
            for i in 0..<scores.rows {
                var top = -S.infinity
                for j in 0..<scores.columns {
                    var s = scores.values[i * scores.columns + j] * scale
                    if let bias { s += bias[h].values[i * scores.columns + j] }
                    scores.values[i * scores.columns + j] = s
                    top = max(top, s)
                }
                var sum: S = 0
                for j in 0..<scores.columns {
                    let e = S.exp(scores.values[i * scores.columns + j] - top)
                    scores.values[i * scores.columns + j] = e
                    sum += e
                }
                for j in 0..<scores.columns { scores.values[i * scores.columns + j] /= sum }
            }
            y.setColumns(h * vd, scores.multiplied(by: v.columns(h * vd, vd)))
            weights.append(scores)
        }
        return (y, Cache(weights: weights))
    }

    /// Per head: dV = P^T dY, dP = dY V^T, dS = P (dP - rowsum(dP P)), dQ = scale dS K, dK = scale dS^T Q, dbias = dS.
    @inlinable
    public static func backward<S>(_ dy: Matrix<S>, q: Matrix<S>, k: Matrix<S>, v: Matrix<S>, heads: Int, scale: S,
                                   cache: Cache<S>) -> (dq: Matrix<S>, dk: Matrix<S>, dv: Matrix<S>, dBias: [Matrix<S>]) {
        let (kd, vd) = (q.columns / heads, v.columns / heads)
        var dq = Matrix<S>(zeros: q.rows, q.columns), dk = Matrix<S>(zeros: k.rows, k.columns), dv = Matrix<S>(zeros: v.rows, v.columns)
        var dBias: [Matrix<S>] = []
        for h in 0..<heads {
            let p = cache.weights[h], dyh = dy.columns(h * vd, vd)
            dv.setColumns(h * vd, p.multiplied(by: dyh, transposeSelf: true))
            var ds = dyh.multiplied(by: v.columns(h * vd, vd), transposeOther: true)
            for i in 0..<ds.rows {
                var dot: S = 0
                for j in 0..<ds.columns { dot += ds.values[i * ds.columns + j] * p.values[i * ds.columns + j] }
                for j in 0..<ds.columns { ds.values[i * ds.columns + j] = p.values[i * ds.columns + j] * (ds.values[i * ds.columns + j] - dot) }
            }
            dBias.append(ds)
            let dqh = ds.multiplied(by: k.columns(h * kd, kd)), dkh = ds.multiplied(by: q.columns(h * kd, kd), transposeSelf: true)
            dq.setColumns(h * kd, Matrix(rows: dqh.rows, columns: kd, values: dqh.values.map { $0 * scale }))
            dk.setColumns(h * kd, Matrix(rows: dkh.rows, columns: kd, values: dkh.values.map { $0 * scale }))
        }
        return (dq, dk, dv, dBias)
    }
}
