import Foundation
import Tensor

/// Several prompts of one slice decoded together on a DecoderImageCache (SharedImageDecoding): their tokens are
/// stacked [sum t_i, 256], so the token side that needs only the prompts (block 1: projections, MLP, norms and
/// its attention to the cached image; block 2's self attention and queries) runs as one product over every
/// prompt's rows, reading each weight once per group instead of once per prompt (self attention stays within
/// each prompt). The rest runs promptsPerPass prompts at a time: their image updates pass over the slice's cache
/// tile by tile together (each tile read from memory once for all of them), their block 2 token sides stacked.
extension MaskDecoder {
    /// Low-resolution mask logits and IoU predictions for `outputs` (as callAsFunction) of every prompt, given
    /// as its sparse embeddings, sharing `cache`.
    func decodeShared(sparse: [Tensor], cache: DecoderImageCache, outputs: [Int], timer: StageTimer? = nil)
        -> [(masks: [Tensor], iou: [Float])] {
        let perPrompt = sparse.map(tokens)
        var ranges: [Range<Int>] = [], start = 0
        for prompt in perPrompt { ranges.append(start..<(start + prompt.shape[0])); start += prompt.shape[0] }
        let tokens = Tensor(shape: [start, 256], data: perPrompt.flatMap(\.data)), (first, second) = (blocks[0], blocks[1])
        // The token sides that need only the prompts: block 1's, and block 2's self attention and queries.
        let (queries1, keys1, attended2, queries2) = timer.measure("decoder block 1") { () -> (Tensor, Tensor, Tensor, Tensor) in
            let queries = first.updateTokens(tokens, queryPE: tokens, groups: ranges) {
                first.tokenToImage.tokensToProjectedImage(queries: $0, keys: cache.firstKeys, values: cache.firstValues)
            }
            let attended = second.selfAttended(queries, queryPE: tokens, groups: ranges)
            return (queries, add(queries, tokens), attended, second.tokenToImage.q(add(attended, tokens)))
        }
        // Then a few prompts at a time.
        return stride(from: 0, to: ranges.count, by: Self.promptsPerPass).flatMap { start -> [(masks: [Tensor], iou: [Float])] in
            let pass = Array(start..<min(ranges.count, start + Self.promptsPerPass))
            let (updates1, images1) = timer.measure("decoder image update 1") { () -> ([LowRankUpdate], [FirstImageUpdate]) in
                let updates = pass.map { i in
                    let (weights, values) = first.imageToToken.imageToTokenWeights(
                        headLaneQueries: cache.firstQueries, keys: Self.rows(ranges[i], of: keys1), values: Self.rows(ranges[i], of: queries1))
                    return LowRankUpdate(weights: weights, values: values, heads: first.imageToToken.heads)
                }
                // Block 2's token-to-image attention runs inside image update 1, as its keys and values are formed.
                let secondQueries = pass.map { second.tokenToImage.scaledHeadLanes(Self.rows(ranges[$0], of: queries2)) }
                return (updates, firstImageUpdates(cache, updates, secondQueries: secondQueries))
            }
            let (passQueries, updates2) = timer.measure("decoder block 2") { () -> ([Tensor], [LowRankUpdate]) in
                let rows = pass.map { ranges[$0] }, lower = rows[0].lowerBound, upper = rows.last!.upperBound
                let crossAttended = Tensor(shape: [upper - lower, 128], data: images1.flatMap(\.secondAttended.data))
                let stacked = second.finishTokens(Self.rows(lower..<upper, of: attended2),
                                                  crossAttended: second.tokenToImage.out(crossAttended))
                let queries = rows.map { Self.rows(($0.lowerBound - lower)..<($0.upperBound - lower), of: stacked) }
                return (queries, pass.indices.map { j in
                    let (weights, values) = secondImageToTokenWeights(images1[j], updates1[j], keys: add(queries[j], perPrompt[pass[j]]),
                                                                      values: queries[j])
                    return LowRankUpdate(weights: weights, values: values, heads: second.imageToToken.heads)
                })
            }
            let inputs = pass.indices.map { j in
                SecondUpdateInput(image1: images1[j], first: updates1[j], second: updates2[j],
                                  finalQueries: finalQueries(queries: passQueries[j], tokens: perPrompt[pass[j]], outputs: outputs))
            }
            let updated = timer.measure("decoder image update 2") { secondImageUpdates(cache, inputs) }
            return timer.measure("decoder upscaling, masks") {
                let heads = pass.indices.map { j in
                    self.heads(queries: passQueries[j], attention: finalAttention.attended(sums: updated[j].finalSums), outputs: outputs)
                }
                let masks = upscaledMasks(cache, inputs, statistics: updated.map(\.statistics), hyper: heads.map(\.hyper))
                return zip(masks, heads).map { ($0, $1.iou) }
            }
        }
    }

    /// Prompts whose image updates run together.
    static let promptsPerPass = 4

    /// Rows `range` of a [r, c] tensor.
    static func rows(_ range: Range<Int>, of x: Tensor) -> Tensor {
        let c = x.shape[1]
        return Tensor(shape: [range.count, c], data: Array(x.data[(range.lowerBound * c)..<(range.upperBound * c)]))
    }
}
