/// Attention weights of many queries over a few keys with 8 heads in the lanes of one vector (SAM's
/// image-to-token attention: 4096 image rows attend to about 7 prompt tokens): each row's scores for one key are
/// headDim fused multiply-adds of 8-lane vectors, and the softmax over the keys runs in the same pass.
public enum HeadLaneAttention {
    typealias V = SIMD8<Float>

    /// `queries` [n, headDim, 8] (row r, dimension d, head h at (r * headDim + d) * 8 + h), `keys` [t, headDim, 8]
    /// (scale already applied) -> `weights` [n, t, 8]: per row and head, the softmax over the t keys of
    /// query . key.
    public static func weights(queries: UnsafePointer<Float>, keys: UnsafePointer<Float>, rows n: Int, headDim: Int,
                               tokens t: Int, into weights: UnsafeMutablePointer<Float>) {
        precondition(t > 0 && headDim > 0)
        let (q, k, w) = (UncheckedPointer(UnsafeMutablePointer(mutating: queries)),
                         UncheckedPointer(UnsafeMutablePointer(mutating: keys)), UncheckedPointer(weights))
        let width = 8 * headDim
        ParallelLoop.forRanges(count: n, minimumChunk: 512) { range in
            for r in range {
                let (row, out) = (q.pointer + r * width, w.pointer + r * 8 * t)
                var top = V(repeating: -.infinity)
                for j in 0..<t {
                    let key = k.pointer + j * width
                    var sum = V()
                    for d in 0..<headDim { sum = sum.addingFusedProduct(Convolution.load(row + 8 * d), Convolution.load(key + 8 * d)) }
                    Convolution.store(sum, out + 8 * j)
                    top = top.replacing(with: sum, where: sum .> top)
                }
                var total = V()
                for j in 0..<t {
                    let e = Elementwise.exp(Convolution.load(out + 8 * j) - top)
                    Convolution.store(e, out + 8 * j)
                    total += e
                }
                let scale = 1 / total
                for j in 0..<t { Convolution.store(Convolution.load(out + 8 * j) * scale, out + 8 * j) }
            }
        }
    }
}
