import Foundation

/// Row-major C = A B or C += A B without packing A, for products with a short inner dimension (SAM's decoder:
/// low-rank image updates with k = 8t, the last transposed conv with k = 64), where OpenBLAS's packing of both
/// operands and its pass over C cost as much as the multiply-adds. Blocks of 6 rows by 2 vectors of columns in
/// 12 vector accumulators; B is copied into contiguous strips of 2 vectors (PackedB, reusable across products),
/// each staying in L1 while every row block of A passes over it. The strips are 16 columns wide for the AVX2
/// kernels and 32 for the AVX-512 ones: PackedB packs for the kernel set in use when it is made, and each
/// product runs the kernels its B was packed for. Single-threaded: callers run it inside their own row loops.
public enum SmallGEMM {
    /// B [k, n] copied into contiguous strips of `strip` columns (the last one zero-padded to half or a whole
    /// strip), once for several products: read in place, rows whose stride is a multiple of 1-2 KB (n = 256,
    /// 512, 640) fall into a few L1 sets and evict each other.
    public final class PackedB: @unchecked Sendable {
        public let k: Int, n: Int
        /// Columns per strip: 16 (AVX2 kernels) or 32 (AVX-512).
        public let strip: Int
        @usableFromInline let strips: UnsafeMutablePointer<Float>

        /// Packed for the kernel set in use (EngineKernels), or for `strip` columns when given.
        public init(_ b: UnsafePointer<Float>, ldb: Int, k: Int, n: Int, strip: Int? = nil) {
            let strip = strip ?? (EngineKernels.active == .avx512 ? 32 : 16)
            (self.k, self.n, self.strip) = (k, n, strip)
            strips = .allocate(capacity: max(1, (n + strip - 1) / strip * strip * k))
            for j in stride(from: 0, to: n, by: strip) {
                let (width, padded) = SmallGEMM.widths(n - j, strip: strip), target = strips + j * k
                for p in 0..<k {
                    let (from, to) = (b + p * ldb + j, target + p * padded)
                    for x in 0..<padded { to[x] = x < width ? from[x] : 0 }
                }
            }
        }

        deinit { strips.deallocate() }
    }

    /// a: m x k (row stride lda), b: k x n (ldb), c: m x n (ldc).
    public static func multiply(_ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
                                into c: UnsafeMutablePointer<Float>, ldc: Int, m: Int, n: Int, k: Int, accumulate: Bool) {
        guard m > 0, n > 0 else { return }
        multiply(a, lda: lda, PackedB(b, ldb: ldb, k: k, n: n), into: c, ldc: ldc, m: m, accumulate: accumulate)
    }

    /// a: m x b.k (row stride lda) times a packed B -> c: m x b.n (ldc), on the kernels B was packed for.
    public static func multiply(_ a: UnsafePointer<Float>, lda: Int, _ b: PackedB, into c: UnsafeMutablePointer<Float>,
                                ldc: Int, m: Int, accumulate: Bool) {
        if b.strip == 16 {
            SmallGEMMKernel<SIMD8<Float>>.multiply(a, lda: lda, b, into: c, ldc: ldc, m: m, accumulate: accumulate)
        } else {
            guard let wide = EngineKernels.wide else { preconditionFailure("a B packed for the AVX-512 kernels without them") }
            wide.smallGEMM(a, lda, b, c, ldc, m, accumulate)
        }
    }

    /// The columns of a strip starting `remaining` columns before the end, and that rounded up to half a strip.
    @inlinable @inline(__always)
    static func widths(_ remaining: Int, strip: Int) -> (width: Int, padded: Int) {
        let width = min(strip, remaining)
        return (width, width > strip / 2 ? strip : strip / 2)
    }
}

/// SmallGEMM's products for any lane width (strips of 2 vectors of columns).
public enum SmallGEMMKernel<V: FloatLanes> {
    /// Rows per panel: a panel of A (k floats a row) stays in L1 while it passes over every strip of B.
    @inlinable static var panelRows: Int { 24 }

    @inlinable
    public static func multiply(_ a: UnsafePointer<Float>, lda: Int, _ b: SmallGEMM.PackedB, into c: UnsafeMutablePointer<Float>,
                                ldc: Int, m: Int, accumulate: Bool) {
        let (n, k, packed, strip) = (b.n, b.k, b.strips, b.strip)
        precondition(strip == 2 * V.scalarCount, "B packed for another kernel set")
        guard m > 0, n > 0 else { return }
        // Blocks of 6 rows straight into C. The panel's last rows (fewer than 6) are copied once into a spare
        // block, padded with copies of the last one (a short block would leave accumulators, and FMA pipes, idle),
        // and computed into a spare C; a ragged last strip takes every row group that way.
        let spare = UnsafeMutablePointer<Float>.allocate(capacity: 12 * k + 6 * strip), spareC = spare + 12 * k
        defer { spare.deallocate() }
        let (tailA, raggedA) = (spare, spare + 6 * k)
        for first in stride(from: 0, to: m, by: panelRows) {
            let end = min(m, first + panelRows), full = first + (end - first) / 6 * 6
            if full < end { copyRows(a + full * lda, lda, rows: end - full, k: k, into: tailA) }
            for j in stride(from: 0, to: n, by: strip) {
                let (width, padded) = SmallGEMM.widths(n - j, strip: strip), columns = packed + j * k
                guard width == padded else {
                    for i in stride(from: first, to: end, by: 6) {
                        copyRows(a + i * lda, lda, rows: min(6, end - i), k: k, into: raggedA)
                        spareBlock(raggedA, k, columns, padded, spareC, c + i * ldc + j, ldc, min(6, end - i), width, accumulate)
                    }
                    continue
                }
                for i in stride(from: first, to: full, by: 6) {
                    block(a + i * lda, lda, columns, padded, c + i * ldc + j, ldc, k, accumulate)
                }
                if full < end { spareBlock(tailA, k, columns, padded, spareC, c + full * ldc + j, ldc, end - full, width, accumulate) }
            }
        }
    }

    /// `rows` (< 6 or 6) rows of A into a contiguous 6-row block, the missing ones copies of the last.
    @inlinable @inline(__always)
    static func copyRows(_ a: UnsafePointer<Float>, _ lda: Int, rows: Int, k: Int, into spare: UnsafeMutablePointer<Float>) {
        for r in 0..<6 { (spare + r * k).update(from: a + min(r, rows - 1) * lda, count: k) }
    }

    /// One block from a spare A through a spare C [6, strip], of which `rows` x `width` go to (or come from) C.
    @inlinable @inline(__always)
    static func spareBlock(_ a: UnsafePointer<Float>, _ k: Int, _ columns: UnsafePointer<Float>, _ padded: Int,
                           _ spareC: UnsafeMutablePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ rows: Int,
                           _ width: Int, _ accumulate: Bool) {
        let strip = 2 * V.scalarCount
        if accumulate { for r in 0..<rows { (spareC + r * strip).update(from: c + r * ldc, count: width) } }
        block(a, k, columns, padded, spareC, strip, k, accumulate)
        for r in 0..<rows { (c + r * ldc).update(from: spareC + r * strip, count: width) }
    }

    @inlinable @inline(__always)
    static func block(_ a: UnsafePointer<Float>, _ lda: Int, _ columns: UnsafePointer<Float>, _ width: Int,
                      _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ k: Int, _ accumulate: Bool) {
        if width == 2 * V.scalarCount {
            blockTwoVectors(a, lda, columns, c, ldc, k, accumulate)
        } else {
            blockOneVector(a, lda, columns, c, ldc, k, accumulate)
        }
    }

    @inlinable @inline(__always)
    static func blockTwoVectors(_ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>,
                                _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ k: Int, _ accumulate: Bool) {
        let w = V.scalarCount
        let (c0, c1, c2, c3, c4, c5) = (c, c + ldc, c + 2 * ldc, c + 3 * ldc, c + 4 * ldc, c + 5 * ldc)
        var s00 = V(), s01 = V(), s10 = V(), s11 = V(), s20 = V(), s21 = V()
        var s30 = V(), s31 = V(), s40 = V(), s41 = V(), s50 = V(), s51 = V()
        if accumulate {
            (s00, s01, s10, s11) = (V.load(c0), V.load(c0 + w), V.load(c1), V.load(c1 + w))
            (s20, s21, s30, s31) = (V.load(c2), V.load(c2 + w), V.load(c3), V.load(c3 + w))
            (s40, s41, s50, s51) = (V.load(c4), V.load(c4 + w), V.load(c5), V.load(c5 + w))
        }
        let (a0, a1, a2, a3, a4, a5) = (a, a + lda, a + 2 * lda, a + 3 * lda, a + 4 * lda, a + 5 * lda)
        var row = b
        for p in 0..<k {
            let b0 = V.load(row), b1 = V.load(row + w)
            var x = V(repeating: a0[p])
            s00 = s00.addingFusedProduct(x, b0); s01 = s01.addingFusedProduct(x, b1)
            x = V(repeating: a1[p])
            s10 = s10.addingFusedProduct(x, b0); s11 = s11.addingFusedProduct(x, b1)
            x = V(repeating: a2[p])
            s20 = s20.addingFusedProduct(x, b0); s21 = s21.addingFusedProduct(x, b1)
            x = V(repeating: a3[p])
            s30 = s30.addingFusedProduct(x, b0); s31 = s31.addingFusedProduct(x, b1)
            x = V(repeating: a4[p])
            s40 = s40.addingFusedProduct(x, b0); s41 = s41.addingFusedProduct(x, b1)
            x = V(repeating: a5[p])
            s50 = s50.addingFusedProduct(x, b0); s51 = s51.addingFusedProduct(x, b1)
            row += 2 * w
        }
        s00.store(c0); s01.store(c0 + w); s10.store(c1); s11.store(c1 + w)
        s20.store(c2); s21.store(c2 + w); s30.store(c3); s31.store(c3 + w)
        s40.store(c4); s41.store(c4 + w); s50.store(c5); s51.store(c5 + w)
    }

    @inlinable @inline(__always)
    static func blockOneVector(_ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>,
                               _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ k: Int, _ accumulate: Bool) {
        let (c0, c1, c2, c3, c4, c5) = (c, c + ldc, c + 2 * ldc, c + 3 * ldc, c + 4 * ldc, c + 5 * ldc)
        var s0 = V(), s1 = V(), s2 = V(), s3 = V(), s4 = V(), s5 = V()
        if accumulate { (s0, s1, s2, s3, s4, s5) = (V.load(c0), V.load(c1), V.load(c2), V.load(c3), V.load(c4), V.load(c5)) }
        let (a0, a1, a2, a3, a4, a5) = (a, a + lda, a + 2 * lda, a + 3 * lda, a + 4 * lda, a + 5 * lda)
        var row = b
        for p in 0..<k {
            let b0 = V.load(row)
            s0 = s0.addingFusedProduct(V(repeating: a0[p]), b0); s1 = s1.addingFusedProduct(V(repeating: a1[p]), b0)
            s2 = s2.addingFusedProduct(V(repeating: a2[p]), b0); s3 = s3.addingFusedProduct(V(repeating: a3[p]), b0)
            s4 = s4.addingFusedProduct(V(repeating: a4[p]), b0); s5 = s5.addingFusedProduct(V(repeating: a5[p]), b0)
            row += V.scalarCount
        }
        s0.store(c0); s1.store(c1); s2.store(c2); s3.store(c3); s4.store(c4); s5.store(c5)
    }
}
