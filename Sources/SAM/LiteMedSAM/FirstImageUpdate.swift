import Foundation
import Parallelism
import Tensor

extension MaskDecoder {
    /// The image after block 1 and what block 2 reads of it.
    struct FirstImageUpdate {
        /// keys1 = norm4(X + b_o1 + P W) [n, 256], and per row (mean, 1 / std) of its pre-norm values.
        let keys: Tensor, statistics: Tensor
        /// Block 2's token-to-image attention before its output projection [t, 128]; its image-to-token queries
        /// in head lanes [n, 16, 8] without their P' (W' M_q) part, and that part's right factor W' M_q [rank, 128].
        let secondAttended: Tensor, secondQueries: Tensor, secondQueryFactor: Tensor
    }

    /// One prompt's constants for firstImageUpdates: the right factor [W' | W' M_v | (W' M_k) . q] packed, the
    /// row vectors, block 2's token queries q [t, 16, 8] (scaled), W' M_q.
    struct FirstUpdatePlan {
        let right: SmallGEMM.PackedB, vectors: Tensor, queries: Tensor, queryFactor: Tensor
        let tokens: Int, width: Int, stateSize: Int
    }

    /// Where one prompt's firstImageUpdates outputs go: keys1, statistics, block 2's softmax states per tile,
    /// its image-to-token queries.
    struct FirstUpdateTargets { let keys: UncheckedPointer<Float>, statistics: UncheckedPointer<Float>, states: UncheckedPointer<Float>, queries: UncheckedPointer<Float> }

    /// After block 1's image-to-token attention (each prompt's update P W in `updates`): keys1, and block 2's
    /// projections from the cached basis, tile by tile of P' [W' | W' M_v | (W' M_k) . q]. Block 2's keys and
    /// values (in head lanes) are attended by its t token queries `secondQueries` q ([t, 16, 8], scaled) tile by
    /// tile and never stored; the keys' low-rank part P' W' M_k enters only through its scores D P' ((W' M_k) . q),
    /// so its 128 columns shrink to 8t (likewise the image-to-token queries', secondImageToTokenWeights). The
    /// prompts run tile by tile together, so each tile of the cache is read from memory once for all of them.
    func firstImageUpdates(_ cache: DecoderImageCache, _ updates: [LowRankUpdate], secondQueries: [[Float]]) -> [FirstImageUpdate] {
        let n = cache.image.shape[0], tileRows = Self.tileRows, tiles = (n + tileRows - 1) / tileRows
        let plans = zip(updates, secondQueries).map { firstUpdatePlan($0, secondQueries: $1) }
        let widest = plans.map(\.width).max() ?? 0
        func nest(_ i: Int, _ targets: [FirstUpdateTargets]) -> [FirstImageUpdate] {
            guard i < plans.count else {
                firstUpdateTiles(cache, updates, plans, targets, widest: widest)
                return []
            }
            var keys = Tensor.uninitialized([n, 256]), statistics = Tensor.uninitialized([n, 2])
            var states = Tensor.uninitialized([tiles, plans[i].stateSize]), queries = Tensor.uninitialized([n, 128])
            let rest = withMutablePointers(&keys, &statistics) { k, st in withMutablePointers(&states, &queries) { s, q in
                nest(i + 1, targets + [FirstUpdateTargets(keys: k, statistics: st, states: s, queries: q)])
            } }
            let t = plans[i].tokens
            var attended = Tensor.uninitialized([t, 128])
            states.data.withUnsafeBufferPointer { s in attended.data.withUnsafeMutableBufferPointer { a in
                HeadLaneAttention.merge(s.baseAddress!, blocks: tiles, headDim: 16, tokens: t, into: a.baseAddress!)
            } }
            return [FirstImageUpdate(keys: keys, statistics: statistics, secondAttended: attended, secondQueries: queries,
                                     secondQueryFactor: plans[i].queryFactor)] + rest
        }
        return nest(0, [])
    }

    /// One prompt's right factor and vectors for firstImageUpdates.
    func firstUpdatePlan(_ update: LowRankUpdate, secondQueries tokenQueries: [Float]) -> FirstUpdatePlan {
        let t = tokenQueries.count / 128, width = 384 + 8 * t
        let projected = Self.rightFactor(update.values, times: shared.secondBasisWeight, keepW: false)  // W' M_k | M_v | M_q
        let rank = projected.shape[0]
        let keyScores = Self.headLaneScores(Self.columns(0..<128, of: projected), queries: tokenQueries, tokens: t)
        var rightData = [Float](repeating: 0, count: rank * width)
        for i in 0..<rank {
            rightData.replaceSubrange((i * width)..<(i * width + 256), with: update.values.data[(i * 256)..<(i * 256 + 256)])
            rightData.replaceSubrange((i * width + 256)..<(i * width + 384), with: projected.data[(i * 384 + 128)..<(i * 384 + 256)])
            rightData.replaceSubrange((i * width + 384)..<((i + 1) * width), with: keyScores.data[(i * 8 * t)..<((i + 1) * 8 * t)])
        }
        let constant = Self.rightFactor(update.constant, times: shared.secondBasisWeight).data  // c | c M
        // b_o1 + c | the normalized mean's projections | c M | block 2's value offset
        let vectors = Tensor(shape: [1152], data: zip(shared.firstOutputBias, constant[0..<256]).map(+)
                             + shared.normSums[0..<384] + constant[256...] + shared.secondValueOffset)
        return FirstUpdatePlan(right: Self.packed(Tensor(shape: [rank, width], data: rightData)), vectors: vectors,
                               queries: Tensor(shape: [t, 128], data: tokenQueries), queryFactor: Self.columns(256..<384, of: projected),
                               tokens: t, width: width, stateSize: t * HeadLaneAttention.stateSize(headDim: 16))
    }

    /// firstImageUpdates' tile loop: for each tile, every prompt's product, rows and block 2 attention state.
    func firstUpdateTiles(_ cache: DecoderImageCache, _ updates: [LowRankUpdate], _ plans: [FirstUpdatePlan],
                          _ targets: [FirstUpdateTargets], widest: Int) {
        let n = cache.image.shape[0], tileRows = Self.tileRows, tiles = (n + tileRows - 1) / tileRows
        let norm = blocks[0].norm4, epsilon = norm.epsilon
        let perPrompt = zip(plans, updates).flatMap { [$0.vectors, $1.weights, $0.queries] }
        withPointers([cache.image, cache.secondBasis, shared.secondOffset, norm.weight, norm.bias] + perPrompt) { p in
            ParallelLoop.forRanges(count: tiles) { range in
                let (x, basis, offset, gamma, beta) = (p[0].pointer, p[1].pointer, p[2].pointer, p[3].pointer, p[4].pointer)
                // The tile's product, block 2's keys and values [rows, 256] (head lanes), one row's z, scores.
                let buffer = UnsafeMutablePointer<Float>.allocate(capacity: tileRows * (widest + 256 + 8) + 256)
                defer { buffer.deallocate() }
                let (keysAndValues, z, scores) = (buffer + tileRows * widest, buffer + tileRows * (widest + 256),
                                                  buffer + tileRows * (widest + 256) + 256)
                for tile in range {
                    let rows = (tile * tileRows)..<min(n, (tile + 1) * tileRows)
                    for (index, plan) in plans.enumerated() {
                        let (v, weights, queries) = (p[5 + 3 * index].pointer, p[6 + 3 * index].pointer, p[7 + 3 * index].pointer)
                        let (bias, sums, lowRank, valueOffset) = (v, v + 256, v + 640, v + 1024)
                        let (k, st, q2, width, stride) = (targets[index].keys.pointer, targets[index].statistics.pointer,
                                                          targets[index].queries.pointer, plan.width, updates[index].stride)
                        SmallGEMM.multiply(weights + rows.lowerBound * stride, lda: stride, plan.right, into: buffer, ldc: width,
                                           m: rows.count, accumulate: false)
                        for r in rows {
                            let local = r - rows.lowerBound, u = buffer + local * width
                            for c in Swift.stride(from: 0, to: 256, by: 8) { store8(load8(x + r * 256 + c) + load8(bias + c) + load8(u + c), z + c) }
                            let (mean, inv) = Self.statistics(z, epsilon: epsilon)
                            st[2 * r] = mean
                            st[2 * r + 1] = inv
                            let (m, s) = (V8(repeating: mean), V8(repeating: inv))
                            for c in Swift.stride(from: 0, to: 256, by: 8) {
                                store8((load8(z + c) - m) * s * load8(gamma + c) + load8(beta + c), k + r * 256 + c)
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
                            for j in Swift.stride(from: 0, to: 128, by: 8) { store8(projected(256 + j, o + 128 + j), q2 + r * 128 + j) }
                            for j in Swift.stride(from: 384, to: width, by: 8) { store8(load8(u + j) * s, u + j) }
                        }
                        HeadLaneAttention.partial(queries: queries, keys: keysAndValues, values: keysAndValues + 128, rowStride: 256,
                                                  rows: rows.count, headDim: 16, tokens: plan.tokens, extra: buffer + 384,
                                                  extraStride: width, scores: scores,
                                                  into: targets[index].states.pointer + tile * plan.stateSize)
                    }
                }
            }
        }
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

}
