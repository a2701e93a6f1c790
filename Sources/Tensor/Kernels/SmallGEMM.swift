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
        public convenience init(_ b: UnsafePointer<Float>, ldb: Int, k: Int, n: Int, strip: Int? = nil) {
            self.init(k: k, n: n, strip: strip)
            fill { p, j in b + p * ldb + j }
        }

        /// B = W^T for a weight W [n, k] (torch.nn.Linear's, a 1x1 convolution's), packed straight from W.
        public convenience init(transposing weight: Tensor, strip: Int? = nil) {
            precondition(weight.shape.count == 2, "a weight [out, in], not \(weight.shape)")
            let (n, k) = (weight.shape[0], weight.shape[1])
            self.init(k: k, n: n, strip: strip)
            weight.data.withUnsafeBufferPointer { w in
                let w = w.baseAddress!
                for j in stride(from: 0, to: n, by: self.strip) {
                    let (width, padded) = SmallGEMM.widths(n - j, strip: self.strip), target = strips + j * k
                    for x in 0..<padded {
                        if x < width {
                            let column = w + (j + x) * k
                            for p in 0..<k { target[p * padded + x] = column[p] }
                        } else {
                            for p in 0..<k { target[p * padded + x] = 0 }
                        }
                    }
                }
            }
        }

        private init(k: Int, n: Int, strip: Int?) {
            let strip = strip ?? (EngineKernels.active == .avx512 ? 32 : 16)
            (self.k, self.n, self.strip) = (k, n, strip)
            strips = .allocate(capacity: max(1, (n + strip - 1) / strip * strip * k))
        }

        /// Copies B in, `row(p, j)` pointing at B[p, j...].
        private func fill(_ row: (Int, Int) -> UnsafePointer<Float>) {
            for j in stride(from: 0, to: n, by: strip) {
                let (width, padded) = SmallGEMM.widths(n - j, strip: strip), target = strips + j * k
                for p in 0..<k {
                    let (from, to) = (row(p, j), target + p * padded)
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
                                ldc: Int, m: Int, accumulate: Bool, bias: UnsafePointer<Float>? = nil) {
        if b.strip == 16 {
            SmallGEMMKernel<SIMD8<Float>>.multiply(a, lda: lda, b, into: c, ldc: ldc, m: m, accumulate: accumulate, bias: bias)
        } else {
            guard let wide = EngineKernels.wide else { preconditionFailure("a B packed for the AVX-512 kernels without them") }
            wide.smallGEMM(a, lda, b, c, ldc, m, accumulate, bias)
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

    /// Rows per register block for m rows: 6 (12 accumulators of the 16 AVX2 registers) or, with AVX-512 and more
    /// than 6 rows, 12 (24 of its 32 registers: each strip of B loaded once for twice the multiply-adds).
    @inlinable static func blockRows(m: Int) -> Int { V.scalarCount >= 16 && m > 6 ? 12 : 6 }

    /// How a block's accumulators start: zero, C's values, or a bias row (the same for every row of C).
    @usableFromInline enum Start {
        case zero, accumulate, bias(UnsafePointer<Float>)

        /// The bias for the strip starting at column j.
        @inlinable @inline(__always)
        func strip(_ j: Int) -> Start { if case .bias(let b) = self { .bias(b + j) } else { self } }

        /// The starting value of the accumulator for C's row `row` at column offset `lane` in the strip.
        @inlinable @inline(__always)
        func initial(_ row: UnsafeMutablePointer<Float>, _ lane: Int) -> V {
            switch self {
            case .zero: V()
            case .accumulate: V.load(row + lane)
            case .bias(let b): V.load(b + lane)
            }
        }
    }

    /// C = A B, C += A B (`accumulate`), or C = bias + A B (`bias` [n], without reading C).
    @inlinable
    public static func multiply(_ a: UnsafePointer<Float>, lda: Int, _ b: SmallGEMM.PackedB, into c: UnsafeMutablePointer<Float>,
                                ldc: Int, m: Int, accumulate: Bool, bias: UnsafePointer<Float>? = nil) {
        let (n, k, packed, strip, rows) = (b.n, b.k, b.strips, b.strip, blockRows(m: m))
        precondition(strip == 2 * V.scalarCount, "B packed for another kernel set")
        precondition(!accumulate || bias == nil, "a bias starts C: it cannot also accumulate")
        guard m > 0, n > 0 else { return }
        let start: Start = accumulate ? .accumulate : bias.map { .bias($0) } ?? .zero
        // Blocks of `rows` rows straight into C. The panel's last rows (fewer than a block) are copied once into a
        // spare block, padded with copies of the last one (a short block would leave accumulators, and FMA pipes,
        // idle), and computed into a spare C; a ragged last strip takes every row group that way.
        let spare = UnsafeMutablePointer<Float>.allocate(capacity: 2 * rows * k + (rows + 1) * strip)
        defer { spare.deallocate() }
        let spareC = spare + 2 * rows * k, spareBias = spareC + rows * strip
        let (tailA, raggedA) = (spare, spare + rows * k)
        for first in stride(from: 0, to: m, by: panelRows) {
            let end = min(m, first + panelRows), full = first + (end - first) / rows * rows
            // A tail of at most 6 rows takes a 6-row block even in the 12-row kernels (less padding to compute).
            let tailRows = end - full <= 6 ? 6 : rows
            if full < end { copyRows(a + full * lda, lda, rows: end - full, of: tailRows, k: k, into: tailA) }
            for j in stride(from: 0, to: n, by: strip) {
                let (width, padded) = SmallGEMM.widths(n - j, strip: strip), columns = packed + j * k
                guard width == padded else {
                    var start = start.strip(j)
                    if case .bias(let b) = start {  // the bias's last columns, zero-padded like the strip
                        for x in 0..<padded { spareBias[x] = x < width ? b[x] : 0 }
                        start = .bias(spareBias)
                    }
                    for i in stride(from: first, to: end, by: rows) {
                        copyRows(a + i * lda, lda, rows: min(rows, end - i), of: rows, k: k, into: raggedA)
                        spareBlock(raggedA, k, columns, padded, spareC, c + i * ldc + j, ldc, min(rows, end - i), of: rows,
                                   width, start)
                    }
                    continue
                }
                for i in stride(from: first, to: full, by: rows) {
                    block(rows, a + i * lda, lda, columns, padded, c + i * ldc + j, ldc, k, start.strip(j))
                }
                if full < end {
                    spareBlock(tailA, k, columns, padded, spareC, c + full * ldc + j, ldc, end - full, of: tailRows, width,
                               start.strip(j))
                }
            }
        }
    }

    /// `rows` (up to a block's `blockRows`) rows of A into a contiguous block, the missing ones copies of the last.
    @inlinable @inline(__always)
    static func copyRows(_ a: UnsafePointer<Float>, _ lda: Int, rows: Int, of blockRows: Int, k: Int,
                         into spare: UnsafeMutablePointer<Float>) {
        for r in 0..<blockRows { (spare + r * k).update(from: a + min(r, rows - 1) * lda, count: k) }
    }

    /// One block from a spare A through a spare C [blockRows, strip], of which `rows` x `width` go to (or come
    /// from) C.
    @inlinable @inline(__always)
    static func spareBlock(_ a: UnsafePointer<Float>, _ k: Int, _ columns: UnsafePointer<Float>, _ padded: Int,
                           _ spareC: UnsafeMutablePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ rows: Int,
                           of blockRows: Int, _ width: Int, _ start: Start) {
        let strip = 2 * V.scalarCount
        if case .accumulate = start { for r in 0..<rows { (spareC + r * strip).update(from: c + r * ldc, count: width) } }
        block(blockRows, a, k, columns, padded, spareC, strip, k, start)
        for r in 0..<rows { (c + r * ldc).update(from: spareC + r * strip, count: width) }
    }

    /// `blockRows` (6 or 12) rows of A times a strip `width` columns wide (two vectors, or one for a ragged last
    /// strip).
    @inlinable @inline(__always)
    static func block(_ blockRows: Int, _ a: UnsafePointer<Float>, _ lda: Int, _ columns: UnsafePointer<Float>, _ width: Int,
                      _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ k: Int, _ start: Start) {
        if blockRows == 12 && width == 2 * V.scalarCount { return blockTwelveRows(a, lda, columns, c, ldc, k, start) }
        for half in stride(from: 0, to: blockRows, by: 6) {
            let (a, c) = (a + half * lda, c + half * ldc)
            if width == 2 * V.scalarCount {
                blockTwoVectors(a, lda, columns, c, ldc, k, start)
            } else {
                blockOneVector(a, lda, columns, c, ldc, k, start)
            }
        }
    }

    /// 12 rows by two vectors of columns in 24 accumulators.
    @inlinable @inline(__always)
    static func blockTwelveRows(_ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>,
                                _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ k: Int, _ start: Start) {
        let w = V.scalarCount
        func initial(_ r: Int, _ lane: Int) -> V { start.initial(c + r * ldc, lane) }
        var (s00, s01, s10, s11) = (initial(0, 0), initial(0, w), initial(1, 0), initial(1, w))
        var (s20, s21, s30, s31) = (initial(2, 0), initial(2, w), initial(3, 0), initial(3, w))
        var (s40, s41, s50, s51) = (initial(4, 0), initial(4, w), initial(5, 0), initial(5, w))
        var (s60, s61, s70, s71) = (initial(6, 0), initial(6, w), initial(7, 0), initial(7, w))
        var (s80, s81, s90, s91) = (initial(8, 0), initial(8, w), initial(9, 0), initial(9, w))
        var (sA0, sA1, sB0, sB1) = (initial(10, 0), initial(10, w), initial(11, 0), initial(11, w))
        var row = b, p = a
        let (l3, l6, l9) = (3 * lda, 6 * lda, 9 * lda)
        for _ in 0..<k {
            let b0 = V.load(row), b1 = V.load(row + w)
            var x = V(repeating: p[0])
            s00 = s00.addingFusedProduct(x, b0); s01 = s01.addingFusedProduct(x, b1)
            x = V(repeating: p[lda])
            s10 = s10.addingFusedProduct(x, b0); s11 = s11.addingFusedProduct(x, b1)
            x = V(repeating: p[2 * lda])
            s20 = s20.addingFusedProduct(x, b0); s21 = s21.addingFusedProduct(x, b1)
            x = V(repeating: p[l3])
            s30 = s30.addingFusedProduct(x, b0); s31 = s31.addingFusedProduct(x, b1)
            x = V(repeating: p[l3 + lda])
            s40 = s40.addingFusedProduct(x, b0); s41 = s41.addingFusedProduct(x, b1)
            x = V(repeating: p[l3 + 2 * lda])
            s50 = s50.addingFusedProduct(x, b0); s51 = s51.addingFusedProduct(x, b1)
            x = V(repeating: p[l6])
            s60 = s60.addingFusedProduct(x, b0); s61 = s61.addingFusedProduct(x, b1)
            x = V(repeating: p[l6 + lda])
            s70 = s70.addingFusedProduct(x, b0); s71 = s71.addingFusedProduct(x, b1)
            x = V(repeating: p[l6 + 2 * lda])
            s80 = s80.addingFusedProduct(x, b0); s81 = s81.addingFusedProduct(x, b1)
            x = V(repeating: p[l9])
            s90 = s90.addingFusedProduct(x, b0); s91 = s91.addingFusedProduct(x, b1)
            x = V(repeating: p[l9 + lda])
            sA0 = sA0.addingFusedProduct(x, b0); sA1 = sA1.addingFusedProduct(x, b1)
            x = V(repeating: p[l9 + 2 * lda])
            sB0 = sB0.addingFusedProduct(x, b0); sB1 = sB1.addingFusedProduct(x, b1)
            row += 2 * w
            p += 1
        }
        s00.store(c); s01.store(c + w); s10.store(c + ldc); s11.store(c + ldc + w)
        s20.store(c + 2 * ldc); s21.store(c + 2 * ldc + w); s30.store(c + 3 * ldc); s31.store(c + 3 * ldc + w)
        s40.store(c + 4 * ldc); s41.store(c + 4 * ldc + w); s50.store(c + 5 * ldc); s51.store(c + 5 * ldc + w)
        s60.store(c + 6 * ldc); s61.store(c + 6 * ldc + w); s70.store(c + 7 * ldc); s71.store(c + 7 * ldc + w)
        s80.store(c + 8 * ldc); s81.store(c + 8 * ldc + w); s90.store(c + 9 * ldc); s91.store(c + 9 * ldc + w)
        sA0.store(c + 10 * ldc); sA1.store(c + 10 * ldc + w); sB0.store(c + 11 * ldc); sB1.store(c + 11 * ldc + w)
    }

    @inlinable @inline(__always)
    static func blockTwoVectors(_ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>,
                                _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ k: Int, _ start: Start) {
        let w = V.scalarCount
        let (c0, c1, c2, c3, c4, c5) = (c, c + ldc, c + 2 * ldc, c + 3 * ldc, c + 4 * ldc, c + 5 * ldc)
        var (s00, s01, s10, s11) = (start.initial(c0, 0), start.initial(c0, w), start.initial(c1, 0), start.initial(c1, w))
        var (s20, s21, s30, s31) = (start.initial(c2, 0), start.initial(c2, w), start.initial(c3, 0), start.initial(c3, w))
        var (s40, s41, s50, s51) = (start.initial(c4, 0), start.initial(c4, w), start.initial(c5, 0), start.initial(c5, w))
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
                               _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ k: Int, _ start: Start) {
        let (c0, c1, c2, c3, c4, c5) = (c, c + ldc, c + 2 * ldc, c + 3 * ldc, c + 4 * ldc, c + 5 * ldc)
        var (s0, s1, s2) = (start.initial(c0, 0), start.initial(c1, 0), start.initial(c2, 0))
        var (s3, s4, s5) = (start.initial(c3, 0), start.initial(c4, 0), start.initial(c5, 0))
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
