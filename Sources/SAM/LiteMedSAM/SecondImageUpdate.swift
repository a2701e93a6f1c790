import Foundation
import Parallelism
import Tensor

extension MaskDecoder {
    /// One prompt's inputs to secondImageUpdates: its image after block 1, both low-rank updates, the final
    /// attention's queries [f, 256].
    struct SecondUpdateInput {
        let image1: FirstImageUpdate, first: LowRankUpdate, second: LowRankUpdate, finalQueries: Tensor
    }

    /// One prompt's constants for secondImageUpdates: W2' packed, b_o2 + c2, the final queries transposed [256, f].
    struct SecondUpdatePlan {
        let right: SmallGEMM.PackedB, bias: Tensor, transposedQueries: Tensor
        var finalRows: Int { transposedQueries.shape[1] }
    }

    /// After block 2's image-to-token attention (each prompt's update P2 W2 as `second`), tile by tile: keys2 =
    /// norm4(keys1 + b_o2 + P2 W2), never stored, only attended by the final attention's `finalQueries` [f, 256]
    /// (against keys2 + pe) with a softmax merged across tiles (each tile's maximum, sum and weighted rows,
    /// rescaled to the overall maximum at the end) -> the softmax-weighted sums of keys2's rows [f, 256], and per
    /// row (mean, 1 / std) of keys2's pre-norm values (UpscaledMasks). The prompts run tile by tile together, so
    /// each tile of the positional encoding is read from memory once for all of them.
    func secondImageUpdates(_ cache: DecoderImageCache, _ inputs: [SecondUpdateInput]) -> [(finalSums: Tensor, statistics: Tensor)] {
        let n = cache.image.shape[0], tileRows = Self.tileRows, tiles = (n + tileRows - 1) / tileRows
        let plans = inputs.map { input in
            let constant = Self.rightFactor(input.second.constant, times: shared.secondUpscale).data  // c2 | c2 U2
            let finalRows = input.finalQueries.shape[0]
            // The final queries transposed [256, f]: each tile's scores come out keys-major [rows, f] from a product
            // without packing (OpenBLAS would pack the whole tile for a 16-row product).
            var transposed = [Float](repeating: 0, count: 256 * finalRows)
            for i in 0..<finalRows { for c in 0..<256 { transposed[c * finalRows + i] = input.finalQueries.data[i * 256 + c] } }
            return SecondUpdatePlan(right: Self.packed(input.second.values),
                                    bias: Tensor(shape: [256], data: zip(shared.secondOutputBias, constant[0..<256]).map(+)),
                                    transposedQueries: Tensor(shape: [256, finalRows], data: transposed))
        }
        func nest(_ i: Int, _ targets: [(partials: UncheckedPointer<Float>, statistics: UncheckedPointer<Float>)])
            -> [(finalSums: Tensor, statistics: Tensor)] {
            guard i < plans.count else {
                secondUpdateTiles(cache, inputs, plans, targets)
                return []
            }
            // Per tile and final query: the weighted sum of the tile's keys2 rows [256], then the scores' maximum and
            // the sum of exp(score - maximum).
            var partials = Tensor.uninitialized([tiles, plans[i].finalRows, 258]), statistics = Tensor.uninitialized([n, 2])
            let rest = withMutablePointers(&partials, &statistics) { nest(i + 1, targets + [($0, $1)]) }
            return [(Self.mergeSoftmax(partials), statistics)] + rest
        }
        return nest(0, [])
    }

    /// secondImageUpdates' tile loop: for each tile, every prompt's product, keys2 rows and final attention state.
    func secondUpdateTiles(_ cache: DecoderImageCache, _ inputs: [SecondUpdateInput], _ plans: [SecondUpdatePlan],
                           _ targets: [(partials: UncheckedPointer<Float>, statistics: UncheckedPointer<Float>)]) {
        let n = cache.image.shape[0], tileRows = Self.tileRows, tiles = (n + tileRows - 1) / tileRows
        let norm = blocks[1].norm4, epsilon = norm.epsilon, widestRows = plans.map(\.finalRows).max() ?? 0
        let perPrompt = zip(inputs, plans).flatMap { [$0.image1.keys, $0.second.weights, $1.bias, $1.transposedQueries] }
        withPointers([norm.weight, norm.bias, positional] + perPrompt) { p in
            ParallelLoop.forRanges(count: tiles) { range in
                let (gamma, beta, pe) = (p[0].pointer, p[1].pointer, p[2].pointer)
                let buffer = UnsafeMutablePointer<Float>.allocate(capacity: tileRows * (3 * 256 + 2 * widestRows) + 256)
                defer { buffer.deallocate() }
                // The tile's product P2 W2', keys2 and keys2 + pe, the final scores (query-major and keys-major),
                // and one row's pre-norm values.
                let (keyTile, withPosition) = (buffer + tileRows * 256, buffer + tileRows * 512)
                let (scores, keyScores) = (buffer + tileRows * 768, buffer + tileRows * (768 + widestRows))
                let z = keyScores + tileRows * widestRows
                for tile in range {
                    let rows = (tile * tileRows)..<min(n, (tile + 1) * tileRows)
                    for (index, plan) in plans.enumerated() {
                        let q = 3 + 4 * index
                        let (k1, bias, finalRows, st) = (p[q].pointer, p[q + 2].pointer, plan.finalRows, targets[index].statistics.pointer)
                        let rowStride = inputs[index].second.stride
                        SmallGEMM.multiply(p[q + 1].pointer + rows.lowerBound * rowStride, lda: rowStride, plan.right, into: buffer,
                                           ldc: 256, m: rows.count, accumulate: false)
                        for r in rows {
                            let local = (r - rows.lowerBound) * 256, u = buffer + local
                            for c in stride(from: 0, to: 256, by: 8) { store8(load8(k1 + r * 256 + c) + load8(bias + c) + load8(u + c), z + c) }
                            let (mean, inv) = Self.statistics(z, epsilon: epsilon)
                            st[2 * r] = mean
                            st[2 * r + 1] = inv
                            let (m, s) = (V8(repeating: mean), V8(repeating: inv))
                            for c in stride(from: 0, to: 256, by: 8) {
                                let value = (load8(z + c) - m) * s * load8(gamma + c) + load8(beta + c)
                                store8(value, keyTile + local + c)
                                store8(value + load8(pe + r * 256 + c), withPosition + local + c)
                            }
                        }
                        SmallGEMM.multiply(withPosition, lda: 256, p[q + 3].pointer, ldb: finalRows, into: keyScores, ldc: finalRows,
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
