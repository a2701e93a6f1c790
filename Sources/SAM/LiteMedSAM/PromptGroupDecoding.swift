import Foundation
import Tensor

/// Several prompts of one slice decoded together on a DecoderImageCache (SharedImageDecoding): their tokens are
/// stacked [sum t_i, 256], so the token side that needs only the prompts (block 1: projections, MLP, norms and
/// its attention to the cached image; block 2's self attention and queries) runs as one product over every
/// prompt's rows, reading each weight once per group instead of once per prompt (self attention stays within
/// each prompt). The rest runs prompt by prompt, keeping each prompt's 4096-row intermediates in the cache.
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
        // Then each prompt on its own, so its image-side intermediates stay in the cache from one step to the next.
        return ranges.indices.map { i in
            let (range, promptTokens) = (ranges[i], perPrompt[i])
            let queries = Self.rows(range, of: queries1)
            let (update1, image1) = timer.measure("decoder image update 1") { () -> (LowRankUpdate, FirstImageUpdate) in
                let (weights, values) = first.imageToToken.imageToTokenWeights(
                    headLaneQueries: cache.firstQueries, keys: Self.rows(range, of: keys1), values: queries)
                let update = LowRankUpdate(weights: weights, values: values, heads: first.imageToToken.heads)
                // Block 2's token-to-image attention runs inside image update 1, as its keys and values are formed.
                let secondQueries = second.tokenToImage.scaledHeadLanes(Self.rows(range, of: queries2))
                return (update, firstImageUpdate(cache, update, secondQueries: secondQueries, tokens: range.count))
            }
            let (queries2, update2) = timer.measure("decoder block 2") { () -> (Tensor, LowRankUpdate) in
                let queries = second.finishTokens(Self.rows(range, of: attended2),
                                                  crossAttended: second.tokenToImage.out(image1.secondAttended))
                let (weights, values) = secondImageToTokenWeights(image1, update1, keys: add(queries, promptTokens), values: queries)
                return (queries, LowRankUpdate(weights: weights, values: values, heads: second.imageToToken.heads))
            }
            let (finalSums, upscaled) = timer.measure("decoder image update 2") {
                secondImageUpdate(cache, image1, first: update1, second: update2,
                                  finalQueries: finalQueries(queries: queries2, tokens: promptTokens, outputs: outputs))
            }
            return timer.measure("decoder final attention, masks") {
                finish(queries: queries2, attention: finalAttention.attended(sums: finalSums), upscaled: upscaled, outputs: outputs)
            }
        }
    }

    /// Rows `range` of a [r, c] tensor.
    static func rows(_ range: Range<Int>, of x: Tensor) -> Tensor {
        let c = x.shape[1]
        return Tensor(shape: [range.count, c], data: Array(x.data[(range.lowerBound * c)..<(range.upperBound * c)]))
    }
}
