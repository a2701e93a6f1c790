import Foundation

/// A fully connected layer, y = x W^T + b (torch.nn.Linear), with its reverse-mode pass.
public enum DenseOp {
    /// x [n, in], weight [out, in], bias [out] -> [n, out].
    @inlinable
    public static func forward<S>(_ x: Matrix<S>, weight: Matrix<S>, bias: [S]?) -> Matrix<S> {
        var y = x.multiplied(by: weight, transposeOther: true)
        if let bias {
            precondition(bias.count == y.columns)
            for r in 0..<y.rows { for c in 0..<y.columns { y.values[r * y.columns + c] += bias[c] } }
        }
        return y
    }

    /// The gradients from dy [n, out]: dx = dy W, dW = dy^T x, db = the column sums of dy.
    @inlinable
    public static func backward<S>(_ dy: Matrix<S>, x: Matrix<S>, weight: Matrix<S>) -> (dx: Matrix<S>, dWeight: Matrix<S>, dBias: [S]) {
        (dy.multiplied(by: weight), dy.multiplied(by: x, transposeSelf: true), dy.columnSums())
    }
}

/// Layer normalization over each row's columns (torch.nn.LayerNorm over the last dimension; SAM's LayerNorm2d on
/// channels-last rows), biased variance, with its reverse-mode pass.
public enum LayerNormOp {
    /// What the backward pass needs: the normalized rows and each row's 1 / sqrt(var + eps).
    public struct Cache<S: TrainingScalar>: Sendable {
        public let normalized: Matrix<S>
        public let inverseDeviation: [S]

        @inlinable
        public init(normalized: Matrix<S>, inverseDeviation: [S]) {
            (self.normalized, self.inverseDeviation) = (normalized, inverseDeviation)
        }
    }

    @inlinable
    public static func forward<S>(_ x: Matrix<S>, weight: [S], bias: [S], epsilon: S) -> (y: Matrix<S>, cache: Cache<S>) {
        let c = x.columns
        precondition(weight.count == c && bias.count == c)
        var y = Matrix<S>(zeros: x.rows, c), normalized = Matrix<S>(zeros: x.rows, c)
        var inverse = [S](repeating: 0, count: x.rows)
        for r in 0..<x.rows {
            let row = x.values[(r * c)..<((r + 1) * c)]
            let mean = row.reduce(0, +) / S(c)
            let variance = row.reduce(S(0)) { $0 + ($1 - mean) * ($1 - mean) } / S(c)
            let rstd = 1 / (variance + epsilon).squareRoot()
            inverse[r] = rstd
            for j in 0..<c {
                let n = (x.values[r * c + j] - mean) * rstd
                normalized.values[r * c + j] = n
                y.values[r * c + j] = n * weight[j] + bias[j]
            }
        }
        return (y, Cache(normalized: normalized, inverseDeviation: inverse))
    }

    /// dx = rstd (g dy - mean(g dy) - n mean(g dy n)) per row; dweight = sum(dy n), dbias = sum(dy) over rows.
    @inlinable
    public static func backward<S>(_ dy: Matrix<S>, cache: Cache<S>, weight: [S]) -> (dx: Matrix<S>, dWeight: [S], dBias: [S]) {
        let c = dy.columns
        var dx = Matrix<S>(zeros: dy.rows, c)
        var dWeight = [S](repeating: 0, count: c), dBias = [S](repeating: 0, count: c)
        for r in 0..<dy.rows {
            var meanG: S = 0, meanGN: S = 0
            for j in 0..<c {
                let g = dy.values[r * c + j] * weight[j], n = cache.normalized.values[r * c + j]
                meanG += g
                meanGN += g * n
                dWeight[j] += dy.values[r * c + j] * n
                dBias[j] += dy.values[r * c + j]
            }
            meanG /= S(c)
            meanGN /= S(c)
            for j in 0..<c {
                let g = dy.values[r * c + j] * weight[j], n = cache.normalized.values[r * c + j]
                dx.values[r * c + j] = cache.inverseDeviation[r] * (g - meanG - n * meanGN)
            }
        }
        return (dx, dWeight, dBias)
    }
}

/// Element-wise activations with their derivatives: GELU with the exact erf (torch.nn.GELU()) and ReLU.
public enum ActivationOp {
    @inlinable
    public static func gelu<S>(_ x: Matrix<S>) -> Matrix<S> {
        Matrix(rows: x.rows, columns: x.columns, values: S.gelu(x.values))
    }

    /// d GELU / dx = Phi(x) + x phi(x).
    @inlinable
    public static func geluBackward<S>(_ dy: Matrix<S>, x: Matrix<S>) -> Matrix<S> {
        Matrix(rows: x.rows, columns: x.columns, values: S.geluBackward(dy.values, x: x.values))
    }

    @inlinable
    public static func relu<S>(_ x: Matrix<S>) -> Matrix<S> {
        Matrix(rows: x.rows, columns: x.columns, values: x.values.map { max($0, 0) })
    }

    @inlinable
    public static func reluBackward<S>(_ dy: Matrix<S>, x: Matrix<S>) -> Matrix<S> {
        Matrix(rows: x.rows, columns: x.columns, values: zip(dy.values, x.values).map { g, v in v > 0 ? g : 0 })
    }
}
