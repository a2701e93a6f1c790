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
    /// GELU (exact erf form) of every value.
    static func gelu(_ x: [Self]) -> [Self]
    /// dy * GELU'(x) = dy (Phi(x) + x phi(x)), value by value.
    static func geluBackward(_ dy: [Self], x: [Self]) -> [Self]
}

extension TrainingScalar {
    /// The definition, value by value (Double's; Float runs vector kernels).
    public static func gelu(_ x: [Self]) -> [Self] { x.map { v in v / 2 * (1 + erf(v / Self(2).squareRoot())) } }

    public static func geluBackward(_ dy: [Self], x: [Self]) -> [Self] {
        let invSqrt2 = 1 / Self(2).squareRoot(), invSqrt2Pi = 1 / (2 * Self.pi).squareRoot()
        return zip(dy, x).map { g, v in g * ((1 + erf(v * invSqrt2)) / 2 + v * invSqrt2Pi * exp(-v * v / 2)) }
    }
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

    /// 8 values at a time through the engine's float-accurate erf and exp (VectorMath); the last few by the definition.
    public static func gelu(_ x: [Float]) -> [Float] {
        lanewise(x, x) { v, _ in VectorMath<SIMD8<Float>>.gelu(v) } scalar: { v, _ in v / 2 * (1 + Foundation.erf(v / Float(2).squareRoot())) }
    }

    public static func geluBackward(_ dy: [Float], x: [Float]) -> [Float] {
        let (invSqrt2, invSqrt2Pi): (Float, Float) = (1 / Float(2).squareRoot(), 1 / (2 * Float.pi).squareRoot())
        return lanewise(dy, x) { g, v in
            let phi = (VectorMath<SIMD8<Float>>.erf(v * invSqrt2) + 1) * 0.5
            return g * phi.addingFusedProduct(v * invSqrt2Pi, VectorMath<SIMD8<Float>>.exp(v * v * -0.5))
        } scalar: { g, v in g * ((1 + Foundation.erf(v * invSqrt2)) / 2 + v * invSqrt2Pi * Foundation.exp(-v * v / 2)) }
    }

    /// f(a, b) over two arrays of one length, 8 lanes at a time, the rest by `scalar`.
    static func lanewise(_ a: [Float], _ b: [Float], _ vector: (SIMD8<Float>, SIMD8<Float>) -> SIMD8<Float>,
                         scalar: (Float, Float) -> Float) -> [Float] {
        precondition(a.count == b.count, "two arrays of one length")
        return [Float](unsafeUninitializedCapacity: a.count) { out, initialized in
            a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in
                var i = 0
                while i + 8 <= a.count {
                    vector(SIMD8.load(a.baseAddress! + i), SIMD8.load(b.baseAddress! + i)).store(out.baseAddress! + i)
                    i += 8
                }
                while i < a.count { out[i] = scalar(a[i], b[i]); i += 1 }
            } }
            initialized = a.count
        }
    }
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
