import Parallelism

/// Attention weights of many queries over a few keys with 8 heads in the lanes of one vector (SAM's
/// image-to-token attention: 4096 image rows attend to about 7 prompt tokens): each row's scores for one key are
/// headDim fused multiply-adds of 8-lane vectors, and the softmax over the keys runs in the same pass.
public enum HeadLaneAttention {
    typealias V = SIMD8<Float>

    /// `queries` [n, headDim, 8] (row r, dimension d, head h at (r * headDim + d) * 8 + h), `keys` [t, headDim, 8]
    /// (scale already applied) -> `weights` [n, t, 8]: per row and head, the softmax over the t keys of
    /// query . key, plus `extra` [n, t, 8] (row stride `extraStride`) when given.
    public static func weights(queries: UnsafePointer<Float>, keys: UnsafePointer<Float>, rows n: Int, headDim: Int,
                               tokens t: Int, extra: UnsafePointer<Float>? = nil, extraStride: Int = 0,
                               into weights: UnsafeMutablePointer<Float>) {
        precondition(t > 0 && headDim > 0)
        let (q, k, w) = (UncheckedPointer(UnsafeMutablePointer(mutating: queries)),
                         UncheckedPointer(UnsafeMutablePointer(mutating: keys)), UncheckedPointer(weights))
        let e = extra.map { UncheckedPointer(UnsafeMutablePointer(mutating: $0)) }
        let width = 8 * headDim
        ParallelLoop.forRanges(count: n, minimumChunk: 512) { range in
            for r in range {
                let (row, out) = (q.pointer + r * width, w.pointer + r * 8 * t)
                for j in 0..<t {
                    let key = k.pointer + j * width
                    var sum = e.map { Convolution.load($0.pointer + r * extraStride + 8 * j) } ?? V()
                    for d in 0..<headDim { sum = sum.addingFusedProduct(Convolution.load(row + 8 * d), Convolution.load(key + 8 * d)) }
                    Convolution.store(sum, out + 8 * j)
                }
                Softmax.interleavedRow8(out, length: t)
            }
        }
    }
}

extension HeadLaneAttention {
    /// The size of one block's partial state per token (partial, merge): headDim weighted sums, the maximum
    /// score and the sum of exponentials, 8 lanes each.
    public static func stateSize(headDim: Int) -> Int { 8 * (headDim + 2) }

    /// A few tokens attend to one block of rows, as a softmax state to merge with the other blocks'. `queries`
    /// [t, headDim, 8] (scale applied), `keys` and `values` [rows, headDim, 8] (row stride `rowStride` floats),
    /// `scores` scratch of 8 * rows floats -> `state` [t, stateSize]: per token and head, the block's maximum
    /// score m, sum of exp(score - m), and the exp(score - m)-weighted sum of value rows. `extra` [rows, t, 8]
    /// (row stride `extraStride`), when given, is added to the scores.
    public static func partial(queries: UnsafePointer<Float>, keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
                               rowStride: Int, rows: Int, headDim: Int, tokens t: Int, extra: UnsafePointer<Float>? = nil,
                               extraStride: Int = 0, scores: UnsafeMutablePointer<Float>, into state: UnsafeMutablePointer<Float>) {
        precondition(rows > 0 && headDim <= 16)
        for j in 0..<t {
            let query = queries + j * 8 * headDim
            var top = V(repeating: -.infinity), r = 0
            @inline(__always) func start(_ row: Int) -> V { extra.map { Convolution.load($0 + row * extraStride + 8 * j) } ?? V() }
            @inline(__always) func dot(_ key: UnsafePointer<Float>, _ row: Int) -> V {
                var sum = start(row)
                for d in 0..<headDim { sum = sum.addingFusedProduct(Convolution.load(query + 8 * d), Convolution.load(key + 8 * d)) }
                return sum
            }
            // Four rows at a time: independent chains of fused multiply-adds.
            while r + 4 <= rows {
                let key = keys + r * rowStride
                var (s0, s1, s2, s3) = (start(r), start(r + 1), start(r + 2), start(r + 3))
                for d in 0..<headDim {
                    let q = Convolution.load(query + 8 * d)
                    s0 = s0.addingFusedProduct(q, Convolution.load(key + 8 * d))
                    s1 = s1.addingFusedProduct(q, Convolution.load(key + rowStride + 8 * d))
                    s2 = s2.addingFusedProduct(q, Convolution.load(key + 2 * rowStride + 8 * d))
                    s3 = s3.addingFusedProduct(q, Convolution.load(key + 3 * rowStride + 8 * d))
                }
                @inline(__always) func keep(_ s: V, _ i: Int) {
                    Convolution.store(s, scores + 8 * (r + i))
                    top = top.replacing(with: s, where: s .> top)
                }
                keep(s0, 0); keep(s1, 1); keep(s2, 2); keep(s3, 3)
                r += 4
            }
            while r < rows {
                let s = dot(keys + r * rowStride, r)
                Convolution.store(s, scores + 8 * r)
                top = top.replacing(with: s, where: s .> top)
                r += 1
            }
            var sum = V()
            withUnsafeTemporaryAllocation(of: V.self, capacity: headDim) { a in
                a.initialize(repeating: V())
                for r in 0..<rows {
                    let e = Elementwise.exp(Convolution.load(scores + 8 * r) - top), value = values + r * rowStride
                    sum += e
                    for d in 0..<headDim { a[d] = a[d].addingFusedProduct(e, Convolution.load(value + 8 * d)) }
                }
                let target = state + j * stateSize(headDim: headDim)
                for d in 0..<headDim { Convolution.store(a[d], target + 8 * d) }
                Convolution.store(top, target + 8 * headDim)
                Convolution.store(sum, target + 8 * headDim + 8)
            }
        }
    }

    /// Blocks' states [blocks, t, stateSize] -> the attention output [t, 8 * headDim] (head h's dimension d at
    /// h * headDim + d): each block's sums rescaled to the overall maximum.
    public static func merge(_ states: UnsafePointer<Float>, blocks: Int, headDim: Int, tokens t: Int,
                             into out: UnsafeMutablePointer<Float>) {
        let size = stateSize(headDim: headDim)
        for j in 0..<t {
            let state = { (block: Int) in states + (block * t + j) * size }
            var top = V(repeating: -.infinity)
            for block in 0..<blocks { top = top.replacing(with: Convolution.load(state(block) + 8 * headDim), where: Convolution.load(state(block) + 8 * headDim) .> top) }
            var total = V(), sums = [V](repeating: V(), count: headDim)
            for block in 0..<blocks {
                let s = state(block), factor = Elementwise.exp(Convolution.load(s + 8 * headDim) - top)
                total = total.addingFusedProduct(factor, Convolution.load(s + 8 * headDim + 8))
                for d in 0..<headDim { sums[d] = sums[d].addingFusedProduct(factor, Convolution.load(s + 8 * d)) }
            }
            let inverse = 1 / total
            for d in 0..<headDim {
                let value = sums[d] * inverse
                for h in 0..<8 { out[j * 8 * headDim + h * headDim + d] = value[h] }
            }
        }
    }
}
