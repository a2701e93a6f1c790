import COpenBLAS
import Foundation

/// The scalar types the differentiable (training) ops run in: Float for training, Double for the finite-difference
/// checks of the same code. Matrix products go through BLAS (sgemm split over the threads, dgemm).
public protocol TrainingScalar: BinaryFloatingPoint, Sendable {
    /// Row-major C = alpha op(A) op(B) + beta C (A m x k, B k x n after the transposes).
    static func gemm(_ a: UnsafePointer<Self>, _ b: UnsafePointer<Self>, into c: UnsafeMutablePointer<Self>, m: Int, n: Int,
                     k: Int, transposeA: Bool, transposeB: Bool, beta: Self)
    static func exp(_ x: Self) -> Self
    static func log(_ x: Self) -> Self
    static func erf(_ x: Self) -> Self
    static func pow(_ x: Self, _ y: Self) -> Self
}

extension Float: TrainingScalar {
    public static func gemm(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into c: UnsafeMutablePointer<Float>, m: Int,
                            n: Int, k: Int, transposeA: Bool, transposeB: Bool, beta: Float) {
        GEMM.multiply(a, b, into: c, m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB, beta: beta)
    }
    public static func exp(_ x: Float) -> Float { Foundation.exp(x) }
    public static func log(_ x: Float) -> Float { Foundation.log(x) }
    public static func erf(_ x: Float) -> Float { Foundation.erf(x) }
    public static func pow(_ x: Float, _ y: Float) -> Float { Foundation.pow(x, y) }
}

extension Double: TrainingScalar {
    public static func gemm(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, into c: UnsafeMutablePointer<Double>, m: Int,
                            n: Int, k: Int, transposeA: Bool, transposeB: Bool, beta: Double) {
        guard m > 0, n > 0 else { return }
        let (lda, ldb) = (transposeA ? m : k, transposeB ? k : n)
        cblas_dgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans, Int32(m),
                    Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), beta, c, Int32(n))
    }
    public static func exp(_ x: Double) -> Double { Foundation.exp(x) }
    public static func log(_ x: Double) -> Double { Foundation.log(x) }
    public static func erf(_ x: Double) -> Double { Foundation.erf(x) }
    public static func pow(_ x: Double, _ y: Double) -> Double { Foundation.pow(x, y) }
}
