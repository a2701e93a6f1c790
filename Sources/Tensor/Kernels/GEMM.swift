import COpenBLAS
import Foundation
import Parallelism
import Synchronization

/// Single-precision matrix multiply on OpenBLAS: C = alpha * op(A) op(B) + beta * C, row-major.
public enum GEMM {
    /// `a` is m x k (or k x m when transposeA), `b` is k x n (or n x k when transposeB), `c` is m x n.
    /// Large products are split by rows (or, when there are few rows, by columns) over ParallelLoop.threads, each
    /// part one single-threaded OpenBLAS call (OpenBLAS's own threads would spin against the engine's loops);
    /// `parallel: false` inside parallel regions.
    public static func multiply(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into c: UnsafeMutablePointer<Float>,
                                m: Int, n: Int, k: Int, transposeA: Bool = false, transposeB: Bool = false,
                                alpha: Float = 1, beta: Float = 0, lda: Int? = nil, ldb: Int? = nil, ldc: Int? = nil,
                                parallel: Bool = true) {
        guard m > 0, n > 0 else { return }
        _ = singleThreadedBLAS
        if parallel { FlopCounter.add(2 * m * n * k) }  // fused kernels count their own work
        let (lda, ldb, ldc) = (lda ?? (transposeA ? m : k), ldb ?? (transposeB ? k : n), ldc ?? n)
        let split = parallel && !ParallelLoop.isSerial
        let rowParts = split && !transposeA && m >= 64 && m * n * k >= 1 << 21 ? min(ParallelLoop.threads, m / 32) : 1
        // Few rows but many columns (SAM's tokens against the image): split the columns instead.
        let columnParts = split && rowParts <= 1 && n >= 256 && m * n * k >= 1 << 21 ? min(ParallelLoop.threads, n / 128) : 1
        if rowParts <= 1 && columnParts <= 1 {
            cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                        Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
            return
        }
        let (ap, bp, cp) = (UncheckedPointer(UnsafeMutablePointer(mutating: a)), UncheckedPointer(UnsafeMutablePointer(mutating: b)),
                            UncheckedPointer(c))
        if rowParts > 1 {
            DispatchQueue.concurrentPerform(iterations: rowParts) { part in
                let first = m * part / rowParts, rows = m * (part + 1) / rowParts - first
                cblas_sgemm(CblasRowMajor, CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans, Int32(rows), Int32(n),
                            Int32(k), alpha, ap.pointer + first * lda, Int32(lda), bp.pointer, Int32(ldb), beta,
                            cp.pointer + first * ldc, Int32(ldc))
            }
        } else {
            DispatchQueue.concurrentPerform(iterations: columnParts) { part in
                let first = n * part / columnParts, columns = n * (part + 1) / columnParts - first
                cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                            Int32(m), Int32(columns), Int32(k), alpha, ap.pointer, Int32(lda),
                            bp.pointer + (transposeB ? first * ldb : first), Int32(ldb), beta, cp.pointer + first, Int32(ldc))
            }
        }
    }

    /// OpenBLAS runs single-threaded; parallelism comes from splitting products (see multiply).
    static let singleThreadedBLAS: Void = openblas_set_num_threads(1)
}

/// Counts the floating-point operations of the dense kernels (2 per multiply-add), for benchmarks.
public enum FlopCounter {
    static let total = Atomic<Int>(0)

    public static func add(_ flops: Int) { total.add(flops, ordering: .relaxed) }
    public static var value: Int { total.load(ordering: .relaxed) }
    public static func reset() { total.store(0, ordering: .relaxed) }
}
