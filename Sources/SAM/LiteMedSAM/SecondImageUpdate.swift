import Foundation
import Tensor

extension MaskDecoder {
    /// One prompt's inputs to secondImageUpdates: its image after block 1, both low-rank updates, the final
    /// attention's queries [f, 256].
    struct SecondUpdateInput {
        let image1: FirstImageUpdate, first: LowRankUpdate, second: LowRankUpdate, finalQueries: Tensor
    }

    /// One prompt's constants for secondImageUpdates: both right factors packed, the row vectors [7, 256], the
    /// final queries transposed [256, f].
    struct SecondUpdatePlan {
        let right1: SmallGEMM.PackedB, right2: SmallGEMM.PackedB, vectors: Tensor, transposedQueries: Tensor
        var finalRows: Int { transposedQueries.shape[1] }
    }

    /// After block 2's image-to-token attention (each prompt's update P2 W2 as `second`), tile by tile: keys2 =
    /// norm4(keys1 + b_o2 + P2 W2), never stored, only attended by the final attention's `finalQueries` [f, 256]
    /// (against keys2 + pe) with a softmax merged across tiles (each tile's maximum, sum and weighted rows,
    /// rescaled to the overall maximum at the end) -> the softmax-weighted sums of keys2's rows [f, 256]; and the
    /// first upscaling step (transposed conv, LayerNorm2d, GELU) [1, 128, 128, 64] from the cached basis and both
    /// low-rank updates (P1 W1 upscaleWeight and P2 W2 diag(gamma2) U). The prompts run tile by tile together,
    /// so each tile of the cached basis and the positional encoding is read from memory once for all of them.
    func secondImageUpdates(_ cache: DecoderImageCache, _ inputs: [SecondUpdateInput]) -> [(finalSums: Tensor, upscaled: Tensor)] {
        let n = cache.image.shape[0], side = 64, channels = upscale1Bias.count, tileRows = Self.tileRows
        precondition(channels == 64 && n == side * side)
        let tiles = (n + tileRows - 1) / tileRows, plans = inputs.map(secondUpdatePlan)
        func nest(_ i: Int, _ targets: [(partials: UncheckedPointer<Float>, upscaled: UncheckedPointer<Float>)])
            -> [(finalSums: Tensor, upscaled: Tensor)] {
            guard i < plans.count else {
                secondUpdateTiles(cache, inputs, plans, targets)
                return []
            }
            // Per tile and final query: the weighted sum of the tile's keys2 rows [256], then the scores' maximum and
            // the sum of exp(score - maximum).
            var partials = Tensor.uninitialized([tiles, plans[i].finalRows, 258])
            var upscaled = Tensor.uninitialized([1, 2 * side, 2 * side, channels])
            let rest = withMutablePointers(&partials, &upscaled) { nest(i + 1, targets + [($0, $1)]) }
            return [(Self.mergeSoftmax(partials), upscaled)] + rest
        }
        return nest(0, [])
    }

    /// One prompt's right factors and vectors for secondImageUpdates.
    func secondUpdatePlan(_ input: SecondUpdateInput) -> SecondUpdatePlan {
        let (first, second, finalQueries) = (input.first, input.second, input.finalQueries)
        let right1 = Self.packed(Self.rightFactor(first.values, times: shared.upscaleWeight, keepW: false))  // [8(t - 1), 256]
        let inner1 = Self.rightFactor(first.constant, times: shared.upscaleWeight, keepW: false).data  // c1 U1
        let right2 = Self.packed(Self.rightFactor(second.values, times: shared.secondUpscale))  // [8(t - 1), 512]
        let constant2 = Self.rightFactor(second.constant, times: shared.secondUpscale).data  // c2 | c2 U2
        let vectors = Tensor(shape: [7, 256], data: zip(shared.secondOutputBias, constant2[0..<256]).map(+)
                             + shared.normSums[384...] + shared.secondUpscaleSums
                             + zip(shared.upscaleConstant, constant2[256...]).map(+) + shared.upscaleBias
                             + upscaleNorm.weight.data + upscaleNorm.bias.data + [Float](repeating: 0, count: 128) + inner1)
        // The final queries transposed [256, f]: each tile's scores come out keys-major [rows, f] from a product
        // without packing (OpenBLAS would pack the whole tile for a 16-row product).
        let finalRows = finalQueries.shape[0]
        var transposed = [Float](repeating: 0, count: 256 * finalRows)
        for i in 0..<finalRows { for c in 0..<256 { transposed[c * finalRows + i] = finalQueries.data[i * 256 + c] } }
        return SecondUpdatePlan(right1: right1, right2: right2, vectors: vectors,
                                transposedQueries: Tensor(shape: [256, finalRows], data: transposed))
    }

    /// secondImageUpdates' tile loop: for each tile, every prompt's products, keys2 rows, upscaled pixels and
    /// final attention state.
    func secondUpdateTiles(_ cache: DecoderImageCache, _ inputs: [SecondUpdateInput], _ plans: [SecondUpdatePlan],
                           _ targets: [(partials: UncheckedPointer<Float>, upscaled: UncheckedPointer<Float>)]) {
        let n = cache.image.shape[0], side = 64, tileRows = Self.tileRows, tiles = (n + tileRows - 1) / tileRows, width = 768
        let norm = blocks[1].norm4, epsilon = norm.epsilon, pixelEpsilon = upscaleNorm.epsilon
        let widestRows = plans.map(\.finalRows).max() ?? 0
        let perPrompt = zip(inputs, plans).flatMap {
            [$0.image1.keys, $0.image1.statistics, $0.first.weights, $0.second.weights, $1.vectors, $1.transposedQueries]
        }
        withPointers([cache.upscaleBasis, norm.weight, norm.bias, positional] + perPrompt) { p in
            ParallelLoop.forRanges(count: tiles) { range in
                let (basis, gamma, beta, pe) = (p[0].pointer, p[1].pointer, p[2].pointer, p[3].pointer)
                let buffer = UnsafeMutablePointer<Float>.allocate(capacity: tileRows * (width + 512 + 2 * widestRows) + 512)
                defer { buffer.deallocate() }
                // The tile's keys2 and keys2 + pe, the final scores (query-major and keys-major), and one row's
                // pre-norm values and conv taps.
                let (keyTile, withPosition) = (buffer + tileRows * width, buffer + tileRows * (width + 256))
                let (scores, keyScores) = (buffer + tileRows * (width + 512), buffer + tileRows * (width + 512 + widestRows))
                let (z, conv) = (keyScores + tileRows * widestRows, keyScores + tileRows * widestRows + 256)
                for tile in range {
                    let rows = (tile * tileRows)..<min(n, (tile + 1) * tileRows)
                    for (index, plan) in plans.enumerated() {
                        let q = 4 + 6 * index
                        let (k1, st, finalRows) = (p[q].pointer, p[q + 1].pointer, plan.finalRows)
                        let (stride1, stride2) = (inputs[index].first.stride, inputs[index].second.stride)
                        let v = p[q + 4].pointer
                        let (bias, a, e, constant, convBias) = (v, v + 256, v + 512, v + 768, v + 1024)
                        let (pixelWeight, pixelBias, innerConstant) = (v + 1280, v + 1344, v + 1536)
                        let up = targets[index].upscaled.pointer
                        SmallGEMM.multiply(p[q + 3].pointer + rows.lowerBound * stride2, lda: stride2, plan.right2, into: buffer,
                                           ldc: width, m: rows.count, accumulate: false)
                        SmallGEMM.multiply(p[q + 2].pointer + rows.lowerBound * stride1, lda: stride1, plan.right1, into: buffer + 512,
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
                                let target = up + ((2 * y + tap / 2) * 2 * side + 2 * x + tap % 2) * 64
                                Self.normalize64(conv + tap * 64, into: target, pixelWeight, pixelBias, epsilon: pixelEpsilon)
                                Elementwise.geluRange(target, 0..<64)
                            }
                        }
                        SmallGEMM.multiply(withPosition, lda: 256, p[q + 5].pointer, ldb: finalRows, into: keyScores, ldc: finalRows,
                                           m: rows.count, n: finalRows, k: 256, accumulate: false)
                        for j in 0..<rows.count { for i in 0..<finalRows { scores[i * tileRows + j] = keyScores[j * finalRows + i] } }
                        let state = targets[index].partials.pointer + tile * finalRows * 258
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
    }
}
