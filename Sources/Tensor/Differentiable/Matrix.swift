import Foundation

/// A row-major 2-D array for the differentiable ops: rows are tokens or pixels, columns are features (an image
/// [H, W, C] is H*W rows of C). Plain and generic over the scalar, so each op's backward pass can be checked in
/// Double against finite differences and run in Float for training.
public struct Matrix<Scalar: TrainingScalar>: Sendable, Equatable {
    public let rows: Int, columns: Int
    public var values: [Scalar]

    @inlinable
    public init(rows: Int, columns: Int, values: [Scalar]) {
        precondition(values.count == rows * columns, "values must fill rows x columns")
        (self.rows, self.columns, self.values) = (rows, columns, values)
    }

    @inlinable
    public init(zeros rows: Int, _ columns: Int) {
        self.init(rows: rows, columns: columns, values: [Scalar](repeating: 0, count: rows * columns))
    }

    @inlinable
    public subscript(row: Int, column: Int) -> Scalar {
        get { values[row * columns + column] }
        set { values[row * columns + column] = newValue }
    }

    /// op(self) op(other) (+ beta times `adding`'s values when given).
    @inlinable
    public func multiplied(by other: Matrix, transposeSelf: Bool = false, transposeOther: Bool = false) -> Matrix {
        let (m, k) = transposeSelf ? (columns, rows) : (rows, columns)
        let (k2, n) = transposeOther ? (other.columns, other.rows) : (other.rows, other.columns)
        precondition(k == k2, "inner dimensions \(k) and \(k2) differ")
        var out = Matrix(zeros: m, n)
        values.withUnsafeBufferPointer { a in other.values.withUnsafeBufferPointer { b in out.values.withUnsafeMutableBufferPointer { c in
            Scalar.gemm(a.baseAddress!, b.baseAddress!, into: c.baseAddress!, m: m, n: n, k: k, transposeA: transposeSelf,
                        transposeB: transposeOther, beta: 0)
        } } }
        return out
    }

    /// Element-wise sum.
    @inlinable
    public static func + (a: Matrix, b: Matrix) -> Matrix {
        precondition(a.rows == b.rows && a.columns == b.columns)
        return Matrix(rows: a.rows, columns: a.columns, values: zip(a.values, b.values).map { $0 + $1 })
    }

    /// The sum of each column (a bias's gradient).
    @inlinable
    public func columnSums() -> [Scalar] {
        var sums = [Scalar](repeating: 0, count: columns)
        for r in 0..<rows { for c in 0..<columns { sums[c] += values[r * columns + c] } }
        return sums
    }

    /// Columns [first, first + count) as a matrix of their own (one head of a multi-head layout).
    @inlinable
    public func columns(_ first: Int, _ count: Int) -> Matrix {
        var out = Matrix(zeros: rows, count)
        for r in 0..<rows { for c in 0..<count { out.values[r * count + c] = values[r * columns + first + c] } }
        return out
    }

    /// Writes `part` into columns [first, first + part.columns).
    @inlinable
    public mutating func setColumns(_ first: Int, _ part: Matrix) {
        precondition(part.rows == rows && first + part.columns <= columns)
        for r in 0..<rows { for c in 0..<part.columns { values[r * columns + first + c] = part.values[r * part.columns + c] } }
    }
}
