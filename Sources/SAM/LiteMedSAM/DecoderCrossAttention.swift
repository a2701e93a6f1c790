import Foundation
import Parallelism
import Tensor

/// SAM's two cross attentions between a few prompt tokens (t, about 7) and the 4096 image tokens, rearranged so
/// the 4096-row projections are never formed (the same sums in another order):
/// - tokens to image: the key projection is folded into each head's query (q_h W_k,h, a row in the image's
///   channels; q_h b_k,h is the same for every key, which softmax ignores), and the value projection is applied
///   after the attention-weighted sum of image rows (each weight row sums to 1, so b_v passes through);
/// - image to tokens: the query projection is folded into each head's keys (W_q,h^T k_h, plus the per-key
///   constant b_q,h k_h), and each (head, token) value goes through the output projection before the weighting.
/// Each becomes two GEMMs of 4096 x 256 x 8t instead of 4096 x 256 x 128 projections. When the image side is
/// already projected (SharedImageDecoding), tokens attend per head and only the image-to-token weights are formed.
extension SAMAttention {
    var headDim: Int { internalDim / heads }
    var scale: Float { 1 / Float(headDim).squareRoot() }

    /// Tokens [t, 256] (with positional encoding) attend to the image: `keys` [n, 256] (with positional encoding)
    /// and `values` [n, 256] -> [t, 256].
    func tokensToImage(queries: Tensor, keys: Tensor, values: Tensor) -> Tensor {
        let folded = foldedQueries(queries), n = keys.shape[0], width = keys.shape[1], rows = folded.shape[0]
        var scores = Tensor.uninitialized([rows, n])
        folded.data.withUnsafeBufferPointer { f in keys.data.withUnsafeBufferPointer { kp in scores.data.withUnsafeMutableBufferPointer { s in
            GEMM.multiply(f.baseAddress!, kp.baseAddress!, into: s.baseAddress!, m: rows, n: n, k: width, transposeB: true)
        } } }
        return attend(scores: scores, values: values)
    }

    /// Each token's query, scaled and folded through its head's key projection: row h * t + i is
    /// q_h,i W_k,h / sqrt(headDim), a vector in the image's channels [heads * t, 256] (q_h,i b_k,h is the same for
    /// every key, which softmax ignores). Scores against image rows with positional encoding are plain dot products.
    func foldedQueries(_ queries: Tensor) -> Tensor {
        let t = queries.shape[0], width = k.weight.shape[1]
        let qp = q(queries)
        var folded = [Float](repeating: 0, count: heads * t * width)
        for h in 0..<heads {
            for i in 0..<t {
                let row = (h * t + i) * width
                for d in 0..<headDim {
                    let s = qp.data[i * internalDim + h * headDim + d] * scale
                    let w = (h * headDim + d) * width
                    for c in 0..<width { folded[row + c] += s * k.weight.data[w + c] }
                }
            }
        }
        return Tensor(shape: [heads * t, width], data: folded)
    }

    /// The rest of tokensToImage from the folded queries' scores [heads * t, n] against the image: softmax, the
    /// weighted sums of the raw image rows `values` [n, 256], then the value and output projections.
    func attend(scores: Tensor, values: Tensor) -> Tensor {
        let rows = scores.shape[0], n = scores.shape[1], width = values.shape[1]
        var scores = scores
        Softmax.rows(&scores.data, width: n)
        var sums = Tensor.uninitialized([rows, width])
        scores.data.withUnsafeBufferPointer { s in values.data.withUnsafeBufferPointer { vp in sums.data.withUnsafeMutableBufferPointer { o in
            GEMM.multiply(s.baseAddress!, vp.baseAddress!, into: o.baseAddress!, m: rows, n: width, k: n)
        } } }
        return attended(sums: sums)
    }

    /// tokensToImage's output from the softmax-weighted sums of the raw image rows [heads * t, 256] (row
    /// h * t + i: head h, token i): each head's value projection, then the output projection -> [t, 256].
    func attended(sums: Tensor) -> Tensor {
        let rows = sums.shape[0], t = rows / heads, width = sums.shape[1]
        var attended = [Float](repeating: 0, count: t * internalDim)
        for h in 0..<heads {
            for i in 0..<t {
                let row = (h * t + i) * width
                for d in 0..<headDim {
                    let channel = h * headDim + d
                    var sum = v.bias!.data[channel]
                    for c in 0..<width { sum += sums.data[row + c] * v.weight.data[channel * width + c] }
                    attended[i * internalDim + channel] = sum
                }
            }
        }
        return out(Tensor(shape: [t, internalDim], data: attended))
    }

    /// Tokens [t, 256] (with positional encoding) attend to image keys and values that are already projected:
    /// keys transposed per head [heads, headDim, Attention.keyStride(for: n)], values head-major
    /// [heads, n, headDim] -> [t, 256].
    func tokensToProjectedImage(queries: Tensor, keys: Tensor, values: Tensor) -> Tensor {
        let t = queries.shape[0], n = values.shape[1]
        precondition(keys.shape == [heads, headDim, Attention.keyStride(for: n)], "transposed keys")
        let qp = q(queries)
        var attended = Tensor.uninitialized([t, internalDim])
        let tokenLayout = Attention.Layout(groupStride: 0, headOffset: headDim, rowStride: internalDim)
        qp.data.withUnsafeBufferPointer { a in keys.data.withUnsafeBufferPointer { b in values.data.withUnsafeBufferPointer { c in
            attended.data.withUnsafeMutableBufferPointer { o in
                Attention.forward(q: a.baseAddress!, qLayout: tokenLayout, kT: b.baseAddress!, kTHeadOffset: keys.shape[2] * headDim,
                                  v: c.baseAddress!, vHeadOffset: n * headDim, out: o.baseAddress!, outLayout: tokenLayout,
                                  heads: heads, lq: t, lk: n, keyDim: headDim, valueDim: headDim, scale: scale)
            }
        } } }
        return out(attended)
    }

    /// The image attends to the tokens: `queries` [n, 256] (image with positional encoding) -> [n, 256].
    func imageToTokens(queries: Tensor, keys: Tensor, values: Tensor) -> Tensor {
        let (weights, projectedValues) = imageToTokenWeights(queries: queries, keys: keys, values: values)
        let n = queries.shape[0], columns = weights.shape[1], outputs = projectedValues.shape[1]
        var result = Tensor.uninitialized([n, outputs])
        result.data.withUnsafeMutableBufferPointer { r in
            let bias = out.bias!.data
            for i in 0..<n { (r.baseAddress! + i * outputs).update(from: bias, count: outputs) }
            weights.data.withUnsafeBufferPointer { s in projectedValues.data.withUnsafeBufferPointer { u in
                GEMM.multiply(s.baseAddress!, u.baseAddress!, into: r.baseAddress!, m: n, n: outputs, k: columns, beta: 1)
            } }
        }
        return result
    }

    /// The two factors of image-to-token attention without its output bias: attention weights [n, t * heads]
    /// (token-major, so the 8 heads sit in the lanes of one vector; softmax over each head's t tokens) and each
    /// (token, head) value through the output projection [t * heads, 256]; their product plus the output bias
    /// is the attention's output. `queries`: the image [n, 256] with positional encoding; `keys` [t, 256]
    /// (tokens with positional encoding), `values` [t, 256].
    func imageToTokenWeights(queries: Tensor, keys: Tensor, values: Tensor) -> (weights: Tensor, values: Tensor) {
        let n = queries.shape[0], width = queries.shape[1], t = keys.shape[0], columns = heads * t
        let kp = k(keys)
        var folded = [Float](repeating: 0, count: width * columns)  // [width, heads * t]
        var constant = [Float](repeating: 0, count: columns)
        for h in 0..<heads {
            for j in 0..<t {
                let column = j * heads + h
                for d in 0..<headDim {
                    let channel = h * headDim + d
                    let s = kp.data[j * internalDim + channel] * scale
                    for c in 0..<width { folded[c * columns + column] += q.weight.data[channel * width + c] * s }
                    constant[column] += q.bias!.data[channel] * s
                }
            }
        }
        // [n, width] x [width, 8t]: too thin for sgemm's packing of the 4096-row side to pay.
        var scores = Tensor.uninitialized([n, columns])
        scores.data.withUnsafeMutableBufferPointer { s in
            for i in 0..<n { (s.baseAddress! + i * columns).update(from: constant, count: columns) }
            queries.data.withUnsafeBufferPointer { x in folded.withUnsafeBufferPointer { f in
                let (xp, fp, sp) = (UncheckedPointer(UnsafeMutablePointer(mutating: x.baseAddress!)),
                                    UncheckedPointer(UnsafeMutablePointer(mutating: f.baseAddress!)), UncheckedPointer(s.baseAddress!))
                ParallelLoop.forRanges(count: n, minimumChunk: 512) { rows in
                    SmallGEMM.multiply(xp.pointer + rows.lowerBound * width, lda: width, fp.pointer, ldb: columns,
                                       into: sp.pointer + rows.lowerBound * columns, ldc: columns, m: rows.count, n: columns,
                                       k: width, accumulate: true)
                }
            } }
        }
        Softmax.interleaved8(&scores.data, length: t)  // each image token's 8 heads, over t tokens each
        return (scores, projectedTokenValues(values))
    }

    /// imageToTokenWeights from queries already projected, in head lanes: [n, headDim, 8] (channel h * headDim + d
    /// of row r at (r * headDim + d) * 8 + h; DecoderImageCache stores them so). `extraScores`, given the keys
    /// projected and scaled in head lanes [t, headDim, 8], returns scores [n, t, 8] to add before the softmax.
    func imageToTokenWeights(headLaneQueries queries: Tensor, keys: Tensor, values: Tensor,
                             extraScores: (([Float]) -> Tensor)? = nil) -> (weights: Tensor, values: Tensor) {
        let n = queries.shape[0], t = keys.shape[0]
        precondition(heads == 8 && queries.shape[1] == internalDim)
        let keyLanes = scaledHeadLanes(k(keys))
        let extra = extraScores?(keyLanes) ?? Tensor(zeros: [0])
        precondition(extra.count == 0 || extra.shape == [n, heads * t])
        var weights = Tensor.uninitialized([n, heads * t])
        queries.data.withUnsafeBufferPointer { q in keyLanes.withUnsafeBufferPointer { k in weights.data.withUnsafeMutableBufferPointer { w in
            extra.data.withUnsafeBufferPointer { e in
                HeadLaneAttention.weights(queries: q.baseAddress!, keys: k.baseAddress!, rows: n, headDim: headDim, tokens: t,
                                          extra: extra.count == 0 ? nil : e.baseAddress!, extraStride: heads * t, into: w.baseAddress!)
            }
        } } }
        return (weights, projectedTokenValues(values))
    }

    /// Token projections [t, internalDim], scaled and in head lanes: [t, headDim, 8].
    func scaledHeadLanes(_ projected: Tensor) -> [Float] {
        let t = projected.shape[0]
        var lanes = [Float](repeating: 0, count: t * internalDim)
        for j in 0..<t { for channel in 0..<internalDim {
            lanes[j * internalDim + Self.headLane(channel, headDim: headDim)] = projected.data[j * internalDim + channel] * scale
        } }
        return lanes
    }

    /// Head lane of channel `channel` (= h * headDim + d) in the head-lane layout: d * 8 + h.
    static func headLane(_ channel: Int, headDim: Int = 16) -> Int { channel % headDim * 8 + channel / headDim }

    /// Each (token, head) value through the output projection: [t * heads, 256], head by head (rows j * heads + h).
    func projectedTokenValues(_ values: Tensor) -> Tensor {
        let t = values.shape[0], columns = heads * t, vp = v(values), outputs = out.weight.shape[0]
        var projectedValues = Tensor.uninitialized([columns, outputs])
        vp.data.withUnsafeBufferPointer { a in outTransposed.withUnsafeBufferPointer { b in
            projectedValues.data.withUnsafeMutableBufferPointer { c in
                for h in 0..<heads {
                    SmallGEMM.multiply(a.baseAddress! + h * headDim, lda: internalDim, b.baseAddress! + h * headDim * outputs,
                                       ldb: outputs, into: c.baseAddress! + h * outputs, ldc: heads * outputs, m: t, n: outputs,
                                       k: headDim, accumulate: false)
                }
            }
        } }
        return projectedValues
    }
}
