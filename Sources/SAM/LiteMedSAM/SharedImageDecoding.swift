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

    /// The image after block 1 and what block 2 reads of it.
    struct FirstImageUpdate {
        /// keys1 = norm4(X + b_o1 + P W) [n, 256], and per row (mean, 1 / std) of its pre-norm values.
        let keys: Tensor, statistics: Tensor
        /// Block 2's token-to-image attention before its output projection [t, 128]; its image-to-token queries
        /// in head lanes [n, 16, 8] without their P' (W' M_q) part, and that part's right factor W' M_q [rank, 128].
        let secondAttended: Tensor, secondQueries: Tensor, secondQueryFactor: Tensor
    }

    /// After block 1's image-to-token attention (its update P W as `update`): keys1, and block 2's projections
    /// from the cached basis, tile by tile of P' [W' | W' M_v | (W' M_k) . q]. Block 2's keys and values (in
    /// head lanes) are attended by its t token queries `secondQueries` q ([t, 16, 8], scaled) tile by tile and
    /// never stored; the keys' low-rank part P' W' M_k enters only through its scores D P' ((W' M_k) . q), so
    /// its 128 columns shrink to 8t (likewise the image-to-token queries', secondImageToTokenWeights).
    func firstImageUpdate(_ cache: DecoderImageCache, _ update: LowRankUpdate, secondQueries tokenQueries: [Float],
                          tokens t: Int) -> FirstImageUpdate {
        let n = cache.image.shape[0], stride = update.stride, width = 384 + 8 * t, tileRows = Self.tileRows
        let projected = Self.rightFactor(update.values, times: shared.secondBasisWeight, keepW: false)  // W' M_k | M_v | M_q
        let rank = projected.shape[0]
        let keyScores = Self.headLaneScores(Self.columns(0..<128, of: projected), queries: tokenQueries, tokens: t)
        var rightData = [Float](repeating: 0, count: rank * width)
        for i in 0..<rank {
            rightData.replaceSubrange((i * width)..<(i * width + 256), with: update.values.data[(i * 256)..<(i * 256 + 256)])
            rightData.replaceSubrange((i * width + 256)..<(i * width + 384), with: projected.data[(i * 384 + 128)..<(i * 384 + 256)])
            rightData.replaceSubrange((i * width + 384)..<((i + 1) * width), with: keyScores.data[(i * 8 * t)..<((i + 1) * 8 * t)])
        }
        let right = Self.packed(Tensor(shape: [rank, width], data: rightData))
        let constant = Self.rightFactor(update.constant, times: shared.secondBasisWeight).data  // c | c M
        let (tiles, stateSize) = ((n + tileRows - 1) / tileRows, t * HeadLaneAttention.stateSize(headDim: 16))
        var keys = Tensor.uninitialized([n, 256]), statistics = Tensor.uninitialized([n, 2])
        var states = Tensor.uninitialized([tiles, stateSize]), secondQueries = Tensor.uninitialized([n, 128])
        let norm = blocks[0].norm4, epsilon = norm.epsilon
        // b_o1 + c | the normalized mean's projections | c M | block 2's value offset
        let vectors = Tensor(shape: [1152], data: zip(shared.firstOutputBias, constant[0..<256]).map(+)
                             + shared.normSums[0..<384] + constant[256...] + shared.secondValueOffset)
        let inputs = [cache.image, cache.secondBasis, shared.secondOffset, norm.weight, norm.bias, vectors, update.weights,
                      Tensor(shape: [t, 128], data: tokenQueries)]
        withPointers(inputs) { p in
            withMutablePointers(&keys, &statistics) { k, st in withMutablePointers(&states, &secondQueries) { state, q2 in
                ParallelLoop.forRanges(count: tiles) { range in
                    let (x, basis, offset, gamma, beta) = (p[0].pointer, p[1].pointer, p[2].pointer, p[3].pointer, p[4].pointer)
                    let (bias, sums, lowRank, valueOffset) = (p[5].pointer, p[5].pointer + 256, p[5].pointer + 640,
                                                              p[5].pointer + 1024)
                    // The tile's product, block 2's keys and values [rows, 256] (head lanes), one row's z, scores.
                    let buffer = UnsafeMutablePointer<Float>.allocate(capacity: tileRows * (width + 256 + 8) + 256)
                    defer { buffer.deallocate() }
                    let (keysAndValues, z, scores) = (buffer + tileRows * width, buffer + tileRows * (width + 256),
                                                      buffer + tileRows * (width + 256) + 256)
                    for tile in range {
                        let rows = (tile * tileRows)..<min(n, (tile + 1) * tileRows)
                        SmallGEMM.multiply(p[6].pointer + rows.lowerBound * stride, lda: stride, right, into: buffer, ldc: width,
                                           m: rows.count, accumulate: false)
                        for r in rows {
                            let local = r - rows.lowerBound, u = buffer + local * width
                            for c in Swift.stride(from: 0, to: 256, by: 8) { store8(load8(x + r * 256 + c) + load8(bias + c) + load8(u + c), z + c) }
                            let (mean, inv) = Self.statistics(z, epsilon: epsilon)
                            st.pointer[2 * r] = mean
                            st.pointer[2 * r + 1] = inv
                            let (m, s) = (V8(repeating: mean), V8(repeating: inv))
                            for c in Swift.stride(from: 0, to: 256, by: 8) {
                                store8((load8(z + c) - m) * s * load8(gamma + c) + load8(beta + c), k.pointer + r * 256 + c)
                            }
                            // Block 2's keys | values | queries: D (Y M + P W M - mu (gamma M)) + offset, the keys'
                            // and queries' P' W' M left out (their scores carry it).
                            let (b, o, kv) = (basis + r * 384, offset + r * 256, keysAndValues + local * 256)
                            @inline(__always) func projected(_ j: Int, _ offset: UnsafePointer<Float>) -> V8 {
                                (load8(b + j) + load8(lowRank + j) - m * load8(sums + j)) * s + load8(offset)
                            }
                            for j in Swift.stride(from: 0, to: 128, by: 8) { store8(projected(j, o + j), kv + j) }
                            for j in Swift.stride(from: 0, to: 128, by: 8) {
                                store8(projected(128 + j, valueOffset + j) + load8(u + 256 + j) * s, kv + 128 + j)
                            }
                            for j in Swift.stride(from: 0, to: 128, by: 8) {
                                store8(projected(256 + j, o + 128 + j), q2.pointer + r * 128 + j)
                            }
                            for j in Swift.stride(from: 384, to: width, by: 8) { store8(load8(u + j) * s, u + j) }
                        }
                        HeadLaneAttention.partial(queries: p[7].pointer, keys: keysAndValues, values: keysAndValues + 128,
                                                  rowStride: 256, rows: rows.count, headDim: 16, tokens: t, extra: buffer + 384,
                                                  extraStride: width, scores: scores, into: state.pointer + tile * stateSize)
                    }
                }
            } }
        }
        var attended = Tensor.uninitialized([t, 128])
        states.data.withUnsafeBufferPointer { s in attended.data.withUnsafeMutableBufferPointer { a in
            HeadLaneAttention.merge(s.baseAddress!, blocks: tiles, headDim: 16, tokens: t, into: a.baseAddress!)
        } }
        return FirstImageUpdate(keys: keys, statistics: statistics, secondAttended: attended, secondQueries: secondQueries,
                                secondQueryFactor: Self.columns(256..<384, of: projected))
    }

    /// Block 2's image-to-token weights: its queries without their low-rank part (FirstImageUpdate) against the
    /// token keys k, plus that part's scores D P' ((W' M_q) . k) [n, 8t] from block 1's weights (`update1`).
    func secondImageToTokenWeights(_ image1: FirstImageUpdate, _ update1: LowRankUpdate, keys: Tensor, values: Tensor)
        -> (weights: Tensor, values: Tensor) {
        blocks[1].imageToToken.imageToTokenWeights(headLaneQueries: image1.secondQueries, keys: keys, values: values) { keyLanes in
            let t = keys.shape[0], n = image1.statistics.shape[0], columns = 8 * t
            let factor = Self.headLaneScores(image1.secondQueryFactor, queries: keyLanes, tokens: t)
            var extra = Tensor.uninitialized([n, columns])
            withPointers([update1.weights, factor, image1.statistics]) { p in
                extra.data.withUnsafeMutableBufferPointer { e in
                    SmallGEMM.multiply(p[0].pointer, lda: update1.stride, p[1].pointer, ldb: columns, into: e.baseAddress!,
                                       ldc: columns, m: n, n: columns, k: update1.rank, accumulate: false)
                    for r in 0..<n {
                        let s = V8(repeating: p[2].pointer[2 * r + 1])
                        for j in Swift.stride(from: 0, to: columns, by: 8) { store8(load8(e.baseAddress! + r * columns + j) * s, e.baseAddress! + r * columns + j) }
                    }
                }
            }
            return extra
        }
    }

    /// A factor F [r, 128] in head lanes dotted per head with t token vectors q [t, 16, 8] (head lanes): [r, t, 8],
    /// entry (i, j, h) = sum over d of F[i, (d, h)] q[j, (d, h)].
    static func headLaneScores(_ factor: Tensor, queries: [Float], tokens t: Int) -> Tensor {
        let r = factor.shape[0]
        precondition(factor.shape[1] == 128 && queries.count == t * 128)
        var out = Tensor.uninitialized([r, 8 * t])
        withPointers([factor, Tensor(shape: [t, 128], data: queries)]) { p in
            out.data.withUnsafeMutableBufferPointer { o in
                for i in 0..<r { for j in 0..<t {
                    var sum = V8()
                    for d in Swift.stride(from: 0, to: 128, by: 8) {
                        sum = sum.addingFusedProduct(load8(p[0].pointer + i * 128 + d), load8(p[1].pointer + j * 128 + d))
                    }
                    store8(sum, o.baseAddress! + i * 8 * t + 8 * j)
                } }
            }
        }
        return out
    }

    /// Columns `range` of a [r, c] tensor.
    static func columns(_ range: Range<Int>, of x: Tensor) -> Tensor {
        let c = x.shape[1]
        return Tensor(shape: [x.shape[0], range.count], data: (0..<x.shape[0]).flatMap { x.data[($0 * c + range.lowerBound)..<($0 * c + range.upperBound)] })
    }

    /// After block 2's image-to-token attention (its update P2 W2 as `second`), tile by tile: keys2 = norm4(keys1 +
    /// b_o2 + P2 W2), never stored, only attended by the final attention's `finalQueries` [f, 256] (against
    /// keys2 + pe) with a softmax merged across tiles (each tile's maximum, sum and weighted rows, rescaled to the
    /// overall maximum at the end) -> the softmax-weighted sums of keys2's rows [f, 256]; and the first upscaling
    /// step (transposed conv, LayerNorm2d, GELU) [1, 128, 128, 64] from the cached basis and both low-rank updates
    /// (P1 W1 upscaleWeight and P2 W2 diag(gamma2) U).
    func secondImageUpdate(_ cache: DecoderImageCache, _ image1: FirstImageUpdate, first: LowRankUpdate,
                           second: LowRankUpdate, finalQueries: Tensor) -> (finalSums: Tensor, upscaled: Tensor) {
        let n = image1.keys.shape[0], side = 64, channels = upscale1Bias.count, tileRows = Self.tileRows
        precondition(channels == 64 && n == side * side)
        let (stride1, stride2, width) = (first.stride, second.stride, 768)
        let right1 = Self.packed(Self.rightFactor(first.values, times: shared.upscaleWeight, keepW: false))  // [8(t - 1), 256]
        let inner1 = Self.rightFactor(first.constant, times: shared.upscaleWeight, keepW: false).data  // c1 U1
        let right2 = Self.packed(Self.rightFactor(second.values, times: shared.secondUpscale))  // [8(t - 1), 512]
        let constant2 = Self.rightFactor(second.constant, times: shared.secondUpscale).data  // c2 | c2 U2
        let (finalRows, tiles) = (finalQueries.shape[0], (n + tileRows - 1) / tileRows)
        // Per tile and final query: the weighted sum of the tile's keys2 rows [256], then the scores' maximum and
        // the sum of exp(score - maximum).
        var partials = Tensor.uninitialized([tiles, finalRows, 258])
        var upscaled = Tensor.uninitialized([1, 2 * side, 2 * side, channels])
        let norm = blocks[1].norm4, epsilon = norm.epsilon, pixelEpsilon = upscaleNorm.epsilon
        let vectors = Tensor(shape: [7, 256], data: zip(shared.secondOutputBias, constant2[0..<256]).map(+)
                             + shared.normSums[384...] + shared.secondUpscaleSums
                             + zip(shared.upscaleConstant, constant2[256...]).map(+) + shared.upscaleBias
                             + upscaleNorm.weight.data + upscaleNorm.bias.data + [Float](repeating: 0, count: 128) + inner1)
        // The final queries transposed [256, f]: each tile's scores come out keys-major [rows, f] from a product
        // without packing (OpenBLAS would pack the whole tile for a 16-row product).
        var transposedQueries = [Float](repeating: 0, count: 256 * finalRows)
        for i in 0..<finalRows { for c in 0..<256 { transposedQueries[c * finalRows + i] = finalQueries.data[i * 256 + c] } }
        let inputs = [image1.keys, cache.upscaleBasis, norm.weight, norm.bias, positional, vectors, image1.statistics,
                      first.weights, second.weights, Tensor(shape: [256, finalRows], data: transposedQueries)]
        withPointers(inputs) { p in
            withMutablePointers(&partials, &upscaled) { partial, up in
                ParallelLoop.forRanges(count: tiles) { range in
                    let (k1, basis, gamma, beta, pe, st) = (p[0].pointer, p[1].pointer, p[2].pointer, p[3].pointer, p[4].pointer,
                                                             p[6].pointer)
                    let v = p[5].pointer
                    let (bias, a, e, constant, convBias) = (v, v + 256, v + 512, v + 768, v + 1024)
                    let (pixelWeight, pixelBias, innerConstant) = (v + 1280, v + 1344, v + 1536)
                    let buffer = UnsafeMutablePointer<Float>.allocate(capacity: tileRows * (width + 512 + 2 * finalRows) + 512)
                    defer { buffer.deallocate() }
                    // The tile's keys2 and keys2 + pe, the final scores (query-major and keys-major), and one row's
                    // pre-norm values and conv taps.
                    let (keyTile, withPosition) = (buffer + tileRows * width, buffer + tileRows * (width + 256))
                    let (scores, keyScores) = (buffer + tileRows * (width + 512), buffer + tileRows * (width + 512 + finalRows))
                    let (z, conv) = (keyScores + tileRows * finalRows, keyScores + tileRows * finalRows + 256)
                    for tile in range {
                        let rows = (tile * tileRows)..<min(n, (tile + 1) * tileRows)
                        SmallGEMM.multiply(p[8].pointer + rows.lowerBound * stride2, lda: stride2, right2, into: buffer, ldc: width,
                                           m: rows.count, accumulate: false)
                        SmallGEMM.multiply(p[7].pointer + rows.lowerBound * stride1, lda: stride1, right1, into: buffer + 512,
                                           ldc: width, m: rows.count, accumulate: false)
                        for r in rows {
                            let (u, local) = (buffer + (r - rows.lowerBound) * width, (r - rows.lowerBound) * 256)
                            for c in stride(from: 0, to: 256, by: 8) { store8(load8(k1 + r * 256 + c) + load8(bias + c) + load8(u + c), z + c) }
                            let (mean, inv) = Self.statistics(z, epsilon: epsilon)
                            let (m, s) = (V8(repeating: mean), V8(repeating: inv))
                            for c in stride(from: 0, to: 256, by: 8) {
                                let value = (load8(z + c) - m) * s * load8(gamma + c) + load8(beta + c)
                                store8(value, keyTile + local + c)
                                store8(value + load8(pe + r * 256 + c), withPosition + local + c)
                            }
                            let (m1, s1) = (V8(repeating: st[2 * r]), V8(repeating: st[2 * r + 1]))
                            for j in stride(from: 0, to: 256, by: 8) {
                                let inner = (load8(basis + r * 256 + j) + load8(u + 512 + j) + load8(innerConstant + j)
                                             - m1 * load8(a + j)) * s1
                                let outer = inner + load8(constant + j) + load8(u + 256 + j) - m * load8(e + j)
                                store8(outer * s + load8(convBias + j), conv + j)
                            }
                            // conv holds the 2x2 output pixels (ky, kx) of input pixel r, 64 channels each.
                            let (y, x) = (r / side, r % side)
                            for tap in 0..<4 {
                                let target = up.pointer + ((2 * y + tap / 2) * 2 * side + 2 * x + tap % 2) * 64
                                Self.normalize64(conv + tap * 64, into: target, pixelWeight, pixelBias, epsilon: pixelEpsilon)
                                Elementwise.geluRange(target, 0..<64)
                            }
                        }
                        SmallGEMM.multiply(withPosition, lda: 256, p[9].pointer, ldb: finalRows, into: keyScores, ldc: finalRows,
                                           m: rows.count, n: finalRows, k: 256, accumulate: false)
                        for j in 0..<rows.count { for i in 0..<finalRows { scores[i * tileRows + j] = keyScores[j * finalRows + i] } }
                        let state = partial.pointer + tile * finalRows * 258
                        for i in 0..<finalRows {
                            let (maximum, sum) = Softmax.exponentiate(scores + i * tileRows, count: rows.count)
                            state[i * 258 + 256] = maximum
                            state[i * 258 + 257] = sum
                        }
                        SmallGEMM.multiply(scores, lda: tileRows, keyTile, ldb: 256, into: state, ldc: 258, m: finalRows, n: 256,
                                           k: rows.count, accumulate: false)
                    }
                }
            }
        }
        return (Self.mergeSoftmax(partials), upscaled)
    }

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
