import COpenBLAS
import Foundation

/// Single-precision matrix multiply on OpenBLAS: C = alpha * op(A) op(B) + beta * C, row-major.
public enum GEMM {
    /// `a` is m x k (or k x m when transposeA), `b` is k x n (or n x k when transposeB), `c` is m x n.
    public static func multiply(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into c: UnsafeMutablePointer<Float>,
                                m: Int, n: Int, k: Int, transposeA: Bool = false, transposeB: Bool = false,
                                alpha: Float = 1, beta: Float = 0, lda: Int? = nil, ldb: Int? = nil, ldc: Int? = nil) {
        guard m > 0, n > 0 else { return }
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda ?? (transposeA ? m : k)), b,
                    Int32(ldb ?? (transposeB ? k : n)), beta, c, Int32(ldc ?? n))
    }

    /// Threads OpenBLAS may use (VolSAM's own parallel loops follow the same setting).
    public static func setThreads(_ threads: Int) {
        openblas_set_num_threads(Int32(max(1, threads)))
    }

    public static var threads: Int { Int(openblas_get_num_threads()) }
}
