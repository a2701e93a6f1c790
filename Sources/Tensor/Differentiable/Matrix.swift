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
        guard k > 0 else { return Matrix(zeros: m, n) }
        // every entry is written by the product (beta 0), so the output starts uninitialized
        let product = [Scalar](unsafeUninitializedCapacity: m * n) { c, initialized in
            values.withUnsafeBufferPointer { a in other.values.withUnsafeBufferPointer { b in
                Scalar.gemm(a.baseAddress!, b.baseAddress!, into: c.baseAddress!, m: m, n: n, k: k, transposeA: transposeSelf,
                            transposeB: transposeOther, beta: 0)
            } }
            initialized = m * n
        }
        return Matrix(rows: m, columns: n, values: product)
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
        precondition(first >= 0 && first + count <= columns)
        let part = [Scalar](unsafeUninitializedCapacity: rows * count) { out, initialized in
            values.withUnsafeBufferPointer { v in
                for r in 0..<rows { (out.baseAddress! + r * count).initialize(from: v.baseAddress! + r * columns + first, count: count) }
            }
            initialized = rows * count
        }
        return Matrix(rows: rows, columns: count, values: part)
    }

    /// Writes `part` into columns [first, first + part.columns).
    @inlinable
    public mutating func setColumns(_ first: Int, _ part: Matrix) {
        precondition(part.rows == rows && first >= 0 && first + part.columns <= columns)
        let (width, stride) = (part.columns, columns)
        values.withUnsafeMutableBufferPointer { v in part.values.withUnsafeBufferPointer { p in
            for r in 0..<rows { (v.baseAddress! + r * stride + first).update(from: p.baseAddress! + r * width, count: width) }
        } }
    }
}
