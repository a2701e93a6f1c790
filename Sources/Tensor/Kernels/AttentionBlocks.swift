import Foundation

/// The register-blocked pieces of attention for one (group, head) pair, for any lane width: scores 4 query rows
/// by 3 vectors of keys at a time, P V 6 rows by 2 vectors of value columns.
public enum AttentionBlocks<V: FloatLanes> {
    @inlinable @inline(__always)
    static func roundUp(_ n: Int, _ multiple: Int) -> Int { (n + multiple - 1) / multiple * multiple }

    /// Query rows handled together: their scores [rowBlock, keys] stay in L1 from the products through the
    /// softmax to P V (a multiple of both the 4-row score block and the 6-row value block).
    @usableFromInline static var rowBlock: Int { 12 }

    /// Value columns per P V block (two vectors); the scratch rounds the value dimension up to it.
    @inlinable static var valueBlock: Int { 2 * V.scalarCount }

    /// The row length of K^T and of the scores for lk keys: lk rounded up to whole vectors, plus one vector more
    /// when that is a multiple of 4 KB, where stores and loads 4 KB apart would falsely alias.
    @inlinable
    public static func keyStride(for lk: Int) -> Int {
        let rounded = roundUp(lk, V.scalarCount)
        return rounded % 1024 == 0 ? rounded + V.scalarCount : rounded
    }

    /// Per-thread buffers: K transposed [keyDim, keys] and V [lk, values] (row stride vStride), zero-padded (or
    /// the caller's matrices already in that form: `owned` false); scores [rowBlock, keys] and their inverse
    /// softmax sums; one block of scaled queries [4, keyDim] and one of output rows [6, values].
    @usableFromInline
    struct Scratch {
        @usableFromInline var kT: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>, vStride: Int
        @usableFromInline let scores: UnsafeMutablePointer<Float>, inverseSums: UnsafeMutablePointer<Float>
        @usableFromInline let queries: UnsafeMutablePointer<Float>, block: UnsafeMutablePointer<Float>
        @usableFromInline let keys: Int, values: Int
        /// The buffers this scratch allocated (nil when it only points at the caller's).
        @usableFromInline let ownedK: UnsafeMutablePointer<Float>?, ownedV: UnsafeMutablePointer<Float>?

        @inlinable
        init(lk: Int, keys: Int, keyDim: Int, values: Int, owned: Bool = true) {
            self.keys = keys
            self.values = values
            vStride = values
            ownedK = owned ? .allocate(capacity: keyDim * keys) : nil
            ownedV = owned ? .allocate(capacity: lk * values) : nil
            ownedK?.initialize(repeating: 0, count: keyDim * keys)
            ownedV?.initialize(repeating: 0, count: lk * values)
            kT = ownedK ?? UnsafeMutablePointer(bitPattern: 16)!
            v = ownedV ?? UnsafeMutablePointer(bitPattern: 16)!
            scores = .allocate(capacity: AttentionBlocks.rowBlock * keys)
            inverseSums = .allocate(capacity: AttentionBlocks.rowBlock)
            queries = .allocate(capacity: 4 * keyDim)
            block = .allocate(capacity: 6 * values)
        }

        @inlinable
        func deallocate() {
            ownedK?.deallocate(); ownedV?.deallocate()
            scores.deallocate(); inverseSums.deallocate(); queries.deallocate(); block.deallocate()
        }

        /// Copies one pair's K (transposed; the padding stays zero) and points at its V where the kernels can
        /// read it in place (valueDim a multiple of 16), else copies V too.
        @inlinable
        mutating func load(k: UnsafePointer<Float>, kRowStride: Int, v source: UnsafePointer<Float>, vRowStride: Int, lk: Int,
                           keyDim: Int, valueDim: Int) {
            let target = ownedK!
            var j0 = 0
            while j0 + 8 <= lk && keyDim % 8 == 0 {  // 8 x 8 blocks transposed in registers
                for d in stride(from: 0, to: keyDim, by: 8) {
                    RegisterTranspose.transpose8x8(k + j0 * kRowStride + d, kRowStride, into: target + d * keys + j0, keys)
                }
                j0 += 8
            }
            for j in j0..<lk {
                let row = k + j * kRowStride
                var d = 0
                while d + 8 <= keyDim {
                    let x = SIMD8<Float>.load(row + d)
                    for lane in 0..<8 { target[(d + lane) * keys + j] = x[lane] }
                    d += 8
                }
                while d < keyDim { target[d * keys + j] = row[d]; d += 1 }
            }
            if valueDim == values {
                v = UnsafeMutablePointer(mutating: source)
                vStride = vRowStride
            } else {
                v = ownedV!
                vStride = values
                for j in 0..<lk { (v + j * values).update(from: source + j * vRowStride, count: valueDim) }
            }
        }
    }

    /// Output rows [0, rows) of one pair, rowBlock rows at a time: scores, bias and unnormalized softmax, then
    /// P V scaled by the inverse sums, straight into `out` when valueDim is a multiple of 16. With `rowIndex`,
    /// output row r is query row rowIndex[r] (its q and bias rows); without, query row r.
    @inlinable @inline(__always)
    static func attend(q: UnsafePointer<Float>, qRowStride: Int, rowIndex: UnsafePointer<Int32>? = nil, scratch: Scratch,
                       rows: Int, lk: Int, keys: Int, keyDim: Int, values: Int, scale: Float, bias: UnsafePointer<Float>?,
                       out: UnsafeMutablePointer<Float>, outRowStride: Int, valueDim: Int) {
        let direct = valueDim == values
        @inline(__always) func source(_ row: Int) -> Int { rowIndex.map { Int($0[row]) } ?? row }
        for first in stride(from: 0, to: rows, by: rowBlock) {
            let blockRows = min(rowBlock, rows - first)
            var i = 0
            while i < blockRows {
                let count = min(4, blockRows - i)
                for row in 0..<count {  // the queries, scaled, contiguous
                    let from = q + source(first + i + row) * qRowStride, to = scratch.queries + row * keyDim
                    for d in 0..<keyDim { to[d] = from[d] * scale }
                }
                if count == 4 {
                    scores4(scratch.queries, scratch.kT, keys, keyDim, scratch.scores + i * keys)
                } else {
                    for row in 0..<count {
                        scores1(scratch.queries + row * keyDim, scratch.kT, keys, keyDim, scratch.scores + (i + row) * keys)
                    }
                }
                i += count
            }
            for row in 0..<blockRows {
                let sum = SoftmaxKernel<V>.exponentiate(scratch.scores + row * keys, bias: bias.map { $0 + source(first + row) * lk },
                                                        count: lk).sum
                scratch.inverseSums[row] = 1 / sum
            }
            i = 0
            while i < blockRows {
                let count = min(6, blockRows - i)
                let (target, targetStride) = direct ? (out + (first + i) * outRowStride, outRowStride) : (scratch.block, values)
                let p = scratch.scores + i * keys, inverse = scratch.inverseSums + i
                for c in stride(from: 0, to: values, by: valueBlock) {
                    if count == 6 {
                        values6(p, keys, scratch.v + c, scratch.vStride, lk, inverse, target + c, targetStride)
                    } else {
                        for row in 0..<count {
                            values1(p + row * keys, scratch.v + c, scratch.vStride, lk, inverse[row],
                                    target + row * targetStride + c)
                        }
                    }
                }
                if !direct {
                    for row in 0..<count {
                        (out + (first + i + row) * outRowStride).update(from: scratch.block + row * values, count: valueDim)
                    }
                }
                i += count
            }
        }
    }

    /// Scores of 4 query rows (scaled, contiguous) against every key: s[i, j] = sum_d q[i, d] * kT[d, j],
    /// 3 vectors of keys at a time in 12 accumulators, then the last single vectors.
    @inlinable @inline(__always)
    static func scores4(_ q: UnsafePointer<Float>, _ kT: UnsafePointer<Float>, _ keys: Int, _ keyDim: Int,
                        _ s: UnsafeMutablePointer<Float>) {
        let (q0, q1, q2, q3) = (q, q + keyDim, q + 2 * keyDim, q + 3 * keyDim)
        let (w1, w2) = (V.scalarCount, 2 * V.scalarCount)
        var j = 0
        while j + 3 * w1 <= keys {
            var a00 = V(), a01 = V(), a02 = V(), a10 = V(), a11 = V(), a12 = V()
            var a20 = V(), a21 = V(), a22 = V(), a30 = V(), a31 = V(), a32 = V()
            for d in 0..<keyDim {
                let k = kT + d * keys + j
                let k0 = load(k), k1 = load(k + w1), k2 = load(k + w2)
                var w = V(repeating: q0[d])
                a00 = a00.addingFusedProduct(w, k0); a01 = a01.addingFusedProduct(w, k1); a02 = a02.addingFusedProduct(w, k2)
                w = V(repeating: q1[d])
                a10 = a10.addingFusedProduct(w, k0); a11 = a11.addingFusedProduct(w, k1); a12 = a12.addingFusedProduct(w, k2)
                w = V(repeating: q2[d])
                a20 = a20.addingFusedProduct(w, k0); a21 = a21.addingFusedProduct(w, k1); a22 = a22.addingFusedProduct(w, k2)
                w = V(repeating: q3[d])
                a30 = a30.addingFusedProduct(w, k0); a31 = a31.addingFusedProduct(w, k1); a32 = a32.addingFusedProduct(w, k2)
            }
            let t = s + j
            store(a00, t); store(a01, t + w1); store(a02, t + w2)
            store(a10, t + keys); store(a11, t + keys + w1); store(a12, t + keys + w2)
            store(a20, t + 2 * keys); store(a21, t + 2 * keys + w1); store(a22, t + 2 * keys + w2)
            store(a30, t + 3 * keys); store(a31, t + 3 * keys + w1); store(a32, t + 3 * keys + w2)
            j += 3 * w1
        }
        while j < keys {
            var a0 = V(), a1 = V(), a2 = V(), a3 = V()
            for d in 0..<keyDim {
                let k = load(kT + d * keys + j)
                a0 = a0.addingFusedProduct(V(repeating: q0[d]), k); a1 = a1.addingFusedProduct(V(repeating: q1[d]), k)
                a2 = a2.addingFusedProduct(V(repeating: q2[d]), k); a3 = a3.addingFusedProduct(V(repeating: q3[d]), k)
            }
            store(a0, s + j); store(a1, s + keys + j); store(a2, s + 2 * keys + j); store(a3, s + 3 * keys + j)
            j += w1
        }
    }

    @inlinable @inline(__always)
    static func scores1(_ q: UnsafePointer<Float>, _ kT: UnsafePointer<Float>, _ keys: Int, _ keyDim: Int,
                        _ s: UnsafeMutablePointer<Float>) {
        for j in stride(from: 0, to: keys, by: V.scalarCount) {
            var a = V()
            for d in 0..<keyDim { a = a.addingFusedProduct(V(repeating: q[d]), load(kT + d * keys + j)) }
            store(a, s + j)
        }
    }

    /// 6 rows x 2 vectors of columns of P V: o[i, c] = scale[i] * sum_j p[i, j] * v[j, c].
    @inlinable @inline(__always)
    static func values6(_ p: UnsafePointer<Float>, _ ps: Int, _ v: UnsafePointer<Float>, _ vs: Int, _ lk: Int,
                        _ scale: UnsafePointer<Float>, _ o: UnsafeMutablePointer<Float>, _ os: Int) {
        var a00 = V(), a01 = V(), a10 = V(), a11 = V(), a20 = V(), a21 = V()
        var a30 = V(), a31 = V(), a40 = V(), a41 = V(), a50 = V(), a51 = V()
        let w1 = V.scalarCount
        for j in 0..<lk {
            let v0 = load(v + j * vs), v1 = load(v + j * vs + w1)
            var w = V(repeating: p[j])
            a00 = a00.addingFusedProduct(w, v0); a01 = a01.addingFusedProduct(w, v1)
            w = V(repeating: p[ps + j])
            a10 = a10.addingFusedProduct(w, v0); a11 = a11.addingFusedProduct(w, v1)
            w = V(repeating: p[2 * ps + j])
            a20 = a20.addingFusedProduct(w, v0); a21 = a21.addingFusedProduct(w, v1)
            w = V(repeating: p[3 * ps + j])
            a30 = a30.addingFusedProduct(w, v0); a31 = a31.addingFusedProduct(w, v1)
            w = V(repeating: p[4 * ps + j])
            a40 = a40.addingFusedProduct(w, v0); a41 = a41.addingFusedProduct(w, v1)
            w = V(repeating: p[5 * ps + j])
            a50 = a50.addingFusedProduct(w, v0); a51 = a51.addingFusedProduct(w, v1)
        }
        var w = V(repeating: scale[0])
        store(a00 * w, o); store(a01 * w, o + w1)
        w = V(repeating: scale[1])
        store(a10 * w, o + os); store(a11 * w, o + os + w1)
        w = V(repeating: scale[2])
        store(a20 * w, o + 2 * os); store(a21 * w, o + 2 * os + w1)
        w = V(repeating: scale[3])
        store(a30 * w, o + 3 * os); store(a31 * w, o + 3 * os + w1)
        w = V(repeating: scale[4])
        store(a40 * w, o + 4 * os); store(a41 * w, o + 4 * os + w1)
        w = V(repeating: scale[5])
        store(a50 * w, o + 5 * os); store(a51 * w, o + 5 * os + w1)
    }

    @inlinable @inline(__always)
    static func values1(_ p: UnsafePointer<Float>, _ v: UnsafePointer<Float>, _ vs: Int, _ lk: Int, _ scale: Float,
                        _ o: UnsafeMutablePointer<Float>) {
        var a0 = V(), a1 = V()
        for j in 0..<lk {
            let w = V(repeating: p[j])
            a0 = a0.addingFusedProduct(w, load(v + j * vs))
            a1 = a1.addingFusedProduct(w, load(v + j * vs + V.scalarCount))
        }
        store(a0 * V(repeating: scale), o); store(a1 * V(repeating: scale), o + V.scalarCount)
    }

    @inlinable @inline(__always) static func load(_ p: UnsafePointer<Float>) -> V { V.load(p) }
    @inlinable @inline(__always) static func store(_ v: V, _ p: UnsafeMutablePointer<Float>) { v.store(p) }
}
