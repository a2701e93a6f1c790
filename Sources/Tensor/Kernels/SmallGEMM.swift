/// Row-major C = A B or C += A B without packing, for products with a short inner dimension (SAM's decoder:
/// low-rank image updates with k = 8t, the last transposed conv with k = 64), where OpenBLAS's packing of both
/// operands and its pass over C cost as much as the multiply-adds. Blocks of 6 rows x 16 columns in 12 vector
/// accumulators; B is copied 16 columns at a time into contiguous strips (PackedB, reusable across products), each
/// staying in L1 while every row block of A passes over it.
/// Single-threaded: callers run it inside their own parallel row loops.
public enum SmallGEMM {
    typealias V = SIMD8<Float>

    /// B [k, n] copied into contiguous strips of 16 columns (the last one zero-padded to 8 or 16), once for
    /// several products: read in place, rows whose stride is a multiple of 1-2 KB (n = 256, 512, 640) fall into
    /// a few L1 sets and evict each other.
    public final class PackedB: @unchecked Sendable {
        public let k: Int, n: Int
        let strips: UnsafeMutablePointer<Float>

        public init(_ b: UnsafePointer<Float>, ldb: Int, k: Int, n: Int) {
            (self.k, self.n) = (k, n)
            strips = .allocate(capacity: max(1, (n + 15) / 16 * 16 * k))
            for j in stride(from: 0, to: n, by: 16) {
                let (width, padded) = SmallGEMM.widths(n - j), strip = strips + j * k
                for p in 0..<k {
                    let (from, to) = (b + p * ldb + j, strip + p * padded)
                    if width == padded {
                        SmallGEMM.store(SmallGEMM.load(from), to)
                        if width == 16 { SmallGEMM.store(SmallGEMM.load(from + 8), to + 8) }
                    } else {
                        for x in 0..<padded { to[x] = x < width ? from[x] : 0 }
                    }
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

    /// a: m x b.k (row stride lda) times a packed B -> c: m x b.n (ldc).
    public static func multiply(_ a: UnsafePointer<Float>, lda: Int, _ b: PackedB, into c: UnsafeMutablePointer<Float>,
                                ldc: Int, m: Int, accumulate: Bool) {
        let (n, k, packed) = (b.n, b.k, b.strips)
        guard m > 0, n > 0 else { return }
        // Blocks of 6 rows straight into C. The panel's last rows (fewer than 6) are copied once into a spare
        // block, padded with copies of the last one (a short block would leave accumulators, and FMA pipes, idle),
        // and computed into a spare C; a ragged last strip takes every row group that way.
        let spare = UnsafeMutablePointer<Float>.allocate(capacity: 12 * k + 6 * 16), spareC = spare + 12 * k
        defer { spare.deallocate() }
        let (tailA, raggedA) = (spare, spare + 6 * k)
        for first in stride(from: 0, to: m, by: panelRows) {
            let end = min(m, first + panelRows), full = first + (end - first) / 6 * 6
            if full < end { copyRows(a + full * lda, lda, rows: end - full, k: k, into: tailA) }
            for j in stride(from: 0, to: n, by: 16) {
                let (width, padded) = widths(n - j), strip = packed + j * k
                guard width == padded else {
                    for i in stride(from: first, to: end, by: 6) {
                        copyRows(a + i * lda, lda, rows: min(6, end - i), k: k, into: raggedA)
                        spareBlock(raggedA, k, strip, padded, spareC, c + i * ldc + j, ldc, min(6, end - i), width, accumulate)
                    }
                    continue
                }
                for i in stride(from: first, to: full, by: 6) {
                    block(a + i * lda, lda, strip, padded, c + i * ldc + j, ldc, k, accumulate)
                }
                if full < end { spareBlock(tailA, k, strip, padded, spareC, c + full * ldc + j, ldc, end - full, width, accumulate) }
            }
        }
    }

    /// `rows` (< 6 or 6) rows of A into a contiguous 6-row block, the missing ones copies of the last.
    @inline(__always)
    static func copyRows(_ a: UnsafePointer<Float>, _ lda: Int, rows: Int, k: Int, into spare: UnsafeMutablePointer<Float>) {
        for r in 0..<6 { (spare + r * k).update(from: a + min(r, rows - 1) * lda, count: k) }
    }

    /// One block from a spare A through a spare C [6, 16], of which `rows` x `width` go to (or come from) C.
    @inline(__always)
    static func spareBlock(_ a: UnsafePointer<Float>, _ k: Int, _ strip: UnsafePointer<Float>, _ padded: Int,
                           _ spareC: UnsafeMutablePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ rows: Int,
                           _ width: Int, _ accumulate: Bool) {
        if accumulate { for r in 0..<rows { (spareC + r * 16).update(from: c + r * ldc, count: width) } }
        block(a, k, strip, padded, spareC, 16, k, accumulate)
        for r in 0..<rows { (c + r * ldc).update(from: spareC + r * 16, count: width) }
    }

    /// The columns of a strip starting `remaining` columns before the end, and that rounded up to 8.
    @inline(__always)
    static func widths(_ remaining: Int) -> (width: Int, padded: Int) {
        let width = min(16, remaining)
        return (width, width > 8 ? 16 : 8)
    }

    /// Rows per panel: a panel of A (k floats a row) stays in L1 while it passes over every strip of B.
    static let panelRows = 24

    @inline(__always)
    static func block(_ a: UnsafePointer<Float>, _ lda: Int, _ strip: UnsafePointer<Float>, _ width: Int,
                      _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ k: Int, _ accumulate: Bool) {
        if width == 16 {
            block6x16(a, lda, strip, c, ldc, k, accumulate)
        } else {
            block6x8(a, lda, strip, c, ldc, k, accumulate)
        }
    }

    @inline(__always)
    static func block6x16(_ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>,
                          _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ k: Int, _ accumulate: Bool) {
        let (c0, c1, c2, c3, c4, c5) = (c, c + ldc, c + 2 * ldc, c + 3 * ldc, c + 4 * ldc, c + 5 * ldc)
        var s00 = V(), s01 = V(), s10 = V(), s11 = V(), s20 = V(), s21 = V()
        var s30 = V(), s31 = V(), s40 = V(), s41 = V(), s50 = V(), s51 = V()
        if accumulate {
            (s00, s01, s10, s11) = (load(c0), load(c0 + 8), load(c1), load(c1 + 8))
            (s20, s21, s30, s31) = (load(c2), load(c2 + 8), load(c3), load(c3 + 8))
            (s40, s41, s50, s51) = (load(c4), load(c4 + 8), load(c5), load(c5 + 8))
        }
        let (a0, a1, a2, a3, a4, a5) = (a, a + lda, a + 2 * lda, a + 3 * lda, a + 4 * lda, a + 5 * lda)
        var row = b
        for p in 0..<k {
            let b0 = load(row), b1 = load(row + 8)
            var w = V(repeating: a0[p])
            s00 = s00.addingFusedProduct(w, b0); s01 = s01.addingFusedProduct(w, b1)
            w = V(repeating: a1[p])
            s10 = s10.addingFusedProduct(w, b0); s11 = s11.addingFusedProduct(w, b1)
            w = V(repeating: a2[p])
            s20 = s20.addingFusedProduct(w, b0); s21 = s21.addingFusedProduct(w, b1)
            w = V(repeating: a3[p])
            s30 = s30.addingFusedProduct(w, b0); s31 = s31.addingFusedProduct(w, b1)
            w = V(repeating: a4[p])
            s40 = s40.addingFusedProduct(w, b0); s41 = s41.addingFusedProduct(w, b1)
            w = V(repeating: a5[p])
            s50 = s50.addingFusedProduct(w, b0); s51 = s51.addingFusedProduct(w, b1)
            row += 16
        }
        store(s00, c0); store(s01, c0 + 8); store(s10, c1); store(s11, c1 + 8)
        store(s20, c2); store(s21, c2 + 8); store(s30, c3); store(s31, c3 + 8)
        store(s40, c4); store(s41, c4 + 8); store(s50, c5); store(s51, c5 + 8)
    }

    @inline(__always)
    static func block6x8(_ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>,
                         _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ k: Int, _ accumulate: Bool) {
        let (c0, c1, c2, c3, c4, c5) = (c, c + ldc, c + 2 * ldc, c + 3 * ldc, c + 4 * ldc, c + 5 * ldc)
        var s0 = V(), s1 = V(), s2 = V(), s3 = V(), s4 = V(), s5 = V()
        if accumulate { (s0, s1, s2, s3, s4, s5) = (load(c0), load(c1), load(c2), load(c3), load(c4), load(c5)) }
        let (a0, a1, a2, a3, a4, a5) = (a, a + lda, a + 2 * lda, a + 3 * lda, a + 4 * lda, a + 5 * lda)
        var row = b
        for p in 0..<k {
            let b0 = load(row)
            s0 = s0.addingFusedProduct(V(repeating: a0[p]), b0); s1 = s1.addingFusedProduct(V(repeating: a1[p]), b0)
            s2 = s2.addingFusedProduct(V(repeating: a2[p]), b0); s3 = s3.addingFusedProduct(V(repeating: a3[p]), b0)
            s4 = s4.addingFusedProduct(V(repeating: a4[p]), b0); s5 = s5.addingFusedProduct(V(repeating: a5[p]), b0)
            row += 8
        }
        store(s0, c0); store(s1, c1); store(s2, c2); store(s3, c3); store(s4, c4); store(s5, c5)
    }

    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
    @inline(__always) static func store(_ v: V, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self)
    }
}
