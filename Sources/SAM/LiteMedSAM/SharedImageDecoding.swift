import Foundation
import Tensor

/// The decoder for prompts without a mask input, on a DecoderImageCache: the same sums as PyTorch's order of
/// operations, regrouped so no 4096 x 256 x 256 product depends on the prompt.
///
/// Each image-to-token attention changes the image by A = P W + b_o, with P its attention weights [4096, 8t] and
/// W [8t, 256] (values through the output projection), a low-rank update. After it, norm4 gives
/// K = D (Z - mu) diag(gamma) + beta with Z = Y + P W (Y the image before it), and D, mu per row. Anything
/// linear in K is then D [Y M + P (W M) - mu (gamma M)] + beta M: the Y M products are in the cache, the rest
/// costs 4096 x 8t per column. Block 2's projections and the first upscaling conv are taken that way, so the
/// per-prompt products have inner dimension 8(t - 1) (48 for a box; LowRankUpdate) instead of 256. Block 2's
/// token-to-image attention (its queries depend only on block 1's tokens) attends to each tile's keys and values
/// as image update 1 forms them, so the 4096-row projections it reads are never stored. Where a projection is
/// only dotted with t token vectors (block 2's keys and image-to-token queries), its P' (W' M) part enters as
/// the scores P' ((W' M) . token), 8t columns instead of 128.
extension MaskDecoder {
    /// [W | W M] for the low-rank products (W [r, 256], M [256, m]) -> [r, 256 + m]; `keepW: false` gives W M.
    static func rightFactor(_ w: Tensor, times m: Tensor, keepW: Bool = true) -> Tensor {
        let (r, extra) = (w.shape[0], m.shape[1]), offset = keepW ? 256 : 0, width = offset + extra
        var right = Tensor.uninitialized([r, width])
        w.data.withUnsafeBufferPointer { a in m.data.withUnsafeBufferPointer { b in right.data.withUnsafeMutableBufferPointer { c in
            for i in 0..<r where keepW { (c.baseAddress! + i * width).update(from: a.baseAddress! + i * 256, count: 256) }
            GEMM.multiply(a.baseAddress!, b.baseAddress!, into: c.baseAddress! + offset, m: r, n: extra, k: 256, ldc: width)
        } } }
        return right
    }

    /// One image-to-token attention's update P W with one fewer rank: each head's weights over the t tokens sum
    /// to 1, so P W = c + P' W' with c the sum over heads of the last token's rows of W, P' the first 8(t - 1)
    /// columns of P (token-major: read in place with P's row stride) and W' the first 8(t - 1) rows of W, each
    /// less its head's last-token row.
    struct LowRankUpdate {
        /// P [n, 8t] (only its first `rank` columns are read), W' [rank, 256], c [1, 256].
        let weights: Tensor, values: Tensor, constant: Tensor
        var rank: Int { values.shape[0] }
        var stride: Int { weights.shape[1] }

        init(weights: Tensor, values: Tensor, heads: Int) {
            let (full, width) = (values.shape[0], values.shape[1]), rank = full - heads
            precondition(weights.shape[1] == full && rank > 0)
            var reduced = Tensor.uninitialized([rank, width]), constant = Tensor(zeros: [1, width])
            for i in 0..<rank { for c in 0..<width {
                reduced.data[i * width + c] = values.data[i * width + c] - values.data[(rank + i % heads) * width + c]
            } }
            for h in 0..<heads { for c in 0..<width { constant.data[c] += values.data[(rank + h) * width + c] } }
            (self.weights, self.values, self.constant) = (weights, reduced, constant)
        }
    }

    /// A right factor packed once for every tile's product.
    static func packed(_ right: Tensor) -> SmallGEMM.PackedB {
        right.data.withUnsafeBufferPointer { SmallGEMM.PackedB($0.baseAddress!, ldb: right.shape[1], k: right.shape[0], n: right.shape[1]) }
    }

    /// Rows per tile of the fused image updates: each tile's low-rank product stays in the cache while it is used.
    static let tileRows = 128

    /// Per-tile softmax pieces [tiles, f, 256 + 2] (weighted rows, maximum, sum) -> the softmax-weighted sums over
    /// all tiles [f, 256].
    static func mergeSoftmax(_ partials: Tensor) -> Tensor {
        let (tiles, rows) = (partials.shape[0], partials.shape[1])
        var sums = Tensor(shape: [rows, 256], data: [Float](repeating: 0, count: rows * 256))
        for i in 0..<rows {
            let state = { (tile: Int) in (tile * rows + i) * 258 }
            let maximum = (0..<tiles).map { partials.data[state($0) + 256] }.max()!
            var total: Float = 0
            for tile in 0..<tiles {
                let factor = Foundation.exp(partials.data[state(tile) + 256] - maximum)
                total += factor * partials.data[state(tile) + 257]
                for c in 0..<256 { sums.data[i * 256 + c] += factor * partials.data[state(tile) + c] }
            }
            for c in 0..<256 { sums.data[i * 256 + c] /= total }
        }
        return sums
    }

    /// Mean and 1 / sqrt(biased variance + epsilon) of `count` values (a multiple of 8; two passes, as torch).
    @inline(__always)
    static func statistics(_ z: UnsafePointer<Float>, count: Int = 256, epsilon: Float) -> (Float, Float) {
        var sum = V8()
        for c in stride(from: 0, to: count, by: 8) { sum += load8(z + c) }
        let mean = sum.sum() / Float(count), m = V8(repeating: mean)
        var squares = V8()
        for c in stride(from: 0, to: count, by: 8) { let d = load8(z + c) - m; squares += d * d }
        return (mean, 1 / (squares.sum() / Float(count) + epsilon).squareRoot())
    }

    /// LayerNorm over 64 channels.
    @inline(__always)
    static func normalize64(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, _ w: UnsafePointer<Float>,
                            _ b: UnsafePointer<Float>, epsilon: Float) {
        let (mean, inv) = statistics(x, count: 64, epsilon: epsilon)
        let (m, s) = (V8(repeating: mean), V8(repeating: inv))
        for c in stride(from: 0, to: 64, by: 8) { store8((load8(x + c) - m) * s * load8(w + c) + load8(b + c), y + c) }
    }
}
