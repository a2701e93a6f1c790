import Foundation
import Parallelism

/// TinyViT's window attention with its residual, fused over chunks of windows:
/// out = x + unpartition(proj(attention(qkv(LayerNorm(partition(pad(x))))))), x [H, W, C] channels-last.
/// Each thread takes whole windows, about chunkTokens tokens at a time, and runs every step on them while they
/// are in its L2: gather + normalize, the qkv product, attention per (window, head), the projection, and the
/// scatter that adds the residual. Padded tokens (bottom/right, to whole windows) are zeros before the norm, as
/// F.pad, so they normalize to the norm's bias and share one [q | k | v] row (computed once); they take part in the
/// attention as keys and values only: the qkv and projection products and the attention's queries skip them (their
/// outputs would be dropped). The last stages' 64 x 64 grid pads to 70 x 70: a sixth of that work was padding.
public enum WindowAttention {
    /// Tokens per chunk, about: a chunk's [q | k | v] rows (3C floats each) plus its normalized rows fit in L2.
    public static let chunkTokens = 256

    /// Weights as torch stores them: qkv [3C, C] with per-head [q | k | v] output columns, projection [C, C],
    /// positionBias [heads, window^2, window^2]; qkv and projection also packed transposed for SmallGEMM.
    public struct Weights: Sendable {
        public let normWeight: Tensor, normBias: Tensor, epsilon: Float
        public let qkv: Tensor, qkvBias: Tensor, projection: Tensor, projectionBias: Tensor, positionBias: Tensor
        public let packedQKV: SmallGEMM.PackedB, packedProjection: SmallGEMM.PackedB

        /// Packs for the kernel set in use, or for SmallGEMM strips of `strip` columns.
        public init(normWeight: Tensor, normBias: Tensor, epsilon: Float, qkv: Tensor, qkvBias: Tensor,
                    projection: Tensor, projectionBias: Tensor, positionBias: Tensor, strip: Int? = nil) {
            (self.normWeight, self.normBias, self.epsilon) = (normWeight, normBias, epsilon)
            (self.qkv, self.qkvBias, self.projection, self.projectionBias) = (qkv, qkvBias, projection, projectionBias)
            self.positionBias = positionBias
            packedQKV = SmallGEMM.PackedB(transposing: qkv, strip: strip)
            packedProjection = SmallGEMM.PackedB(transposing: projection, strip: strip)
        }
    }

    /// `x` [H, W, C] -> [H, W, C], C = heads x head size. Runs the AVX-512 kernels when they are installed.
    public static func forward(_ x: Tensor, window: Int, heads: Int, weights: Weights) -> Tensor {
        EngineKernels.table.windowAttention(x, window, heads, weights)
    }
}

/// WindowAttention.forward for any lane width.
public enum WindowAttentionKernel<V: FloatLanes> {
    @inlinable
    public static func forward(_ x: Tensor, window: Int, heads: Int, weights: WindowAttention.Weights) -> Tensor {
        let chunkTokens = WindowAttention.chunkTokens
        let (h, w, c) = (x.shape[0], x.shape[1], x.shape[2])
        let (down, across) = WindowPartition.grid(h: h, w: w, window: window)
        let n = window * window, windows = down * across, headDim = c / heads
        precondition(headDim * heads == c && weights.qkv.shape == [3 * c, c] && weights.positionBias.count == heads * n * n)
        FlopCounter.add(2 * h * w * c * 4 * c)  // the qkv and projection products of the image's tokens; Attention counts its own
        let perChunk = max(1, chunkTokens / n), chunks = (windows + perChunk - 1) / perChunk
        var out = Tensor.uninitialized(x.shape)
        let wt = weights
        // Every padded token normalizes to the norm's bias, so all have one [q | k | v] row: computed once here. Only
        // their keys and values are used (their outputs are dropped), so the products skip them.
        var paddedRow = [Float](repeating: 0, count: 3 * c)
        wt.normBias.data.withUnsafeBufferPointer { beta in wt.qkvBias.data.withUnsafeBufferPointer { b in
            paddedRow.withUnsafeMutableBufferPointer { row in
                SmallGEMMKernel<V>.multiply(beta.baseAddress!, lda: c, wt.packedQKV, into: row.baseAddress!, ldc: 3 * c, m: 1,
                                            accumulate: false, bias: b.baseAddress!)
            }
        } }
        withPointers([x, wt.normWeight, wt.normBias, wt.qkvBias, wt.projectionBias, wt.positionBias]) { p in
            let (input, gamma, beta, qkvBias, projectionBias, bias) = (p[0], p[1], p[2], p[3], p[4], p[5])
            paddedRow.withUnsafeBufferPointer { paddedRow in
            let padded = UncheckedPointer(UnsafeMutablePointer(mutating: paddedRow.baseAddress!))
            out.data.withUnsafeMutableBufferPointer { o in
                let output = UncheckedPointer(o.baseAddress!)
                // Windows differ in cost (edge windows hold fewer image tokens), so threads claim chunks as they go.
                ParallelLoop.claiming(count: chunks) { claim in
                    let tokens = perChunk * n
                    // normalized rows, then the attended ones; [q | k | v] rows, then the projected ones; the image
                    // tokens' [q | k | v] rows packed together when the chunk has padding
                    let normalized = UnsafeMutablePointer<Float>.allocate(capacity: tokens * 7 * c)
                    let sources = UnsafeMutablePointer<Int>.allocate(capacity: tokens)  // each image token's offset in x
                    let queryRows = UnsafeMutablePointer<Int32>.allocate(capacity: n)  // one window's image tokens
                    defer { normalized.deallocate(); sources.deallocate(); queryRows.deallocate() }
                    let packed = normalized + tokens * c, compact = normalized + tokens * 4 * c
                    ParallelLoop.serially {
                        while let chunk = claim() {
                            let first = chunk * perChunk, count = min(perChunk, windows - first), rows = count * n
                            var real = 0  // image tokens so far; their normalized rows are packed at the front
                            for t in 0..<rows {
                                let (y, column) = WindowPartition.position(first * n + t, window: window, across: across)
                                guard y < h && column < w else { sources[t] = -1; continue }
                                sources[t] = (y * w + column) * c
                                LayerNormKernel<V>.row(input.pointer + sources[t], into: normalized + real * c, c,
                                                       gamma.pointer, beta.pointer, wt.epsilon)
                                real += 1
                            }
                            let layout = Attention.Layout(groupStride: n * 3 * c, headOffset: 3 * headDim, rowStride: 3 * c)
                            let outLayout = Attention.Layout(groupStride: n * c, headOffset: headDim, rowStride: c)
                            let scale = 1 / Float(headDim).squareRoot()
                            if real == rows {
                                SmallGEMMKernel<V>.multiply(normalized, lda: c, wt.packedQKV, into: packed, ldc: 3 * c, m: rows,
                                                            accumulate: false, bias: qkvBias.pointer)
                                AttentionKernel<V>.forward(q: packed, qLayout: layout, k: packed + headDim, kLayout: layout,
                                                  v: packed + 2 * headDim, vLayout: layout, out: normalized, outLayout: outLayout,
                                                  groups: count, heads: heads, lq: n, lk: n, keyDim: headDim, valueDim: headDim,
                                                  scale: scale, bias: bias.pointer)
                            } else {
                                SmallGEMMKernel<V>.multiply(normalized, lda: c, wt.packedQKV, into: compact, ldc: 3 * c, m: real,
                                                            accumulate: false, bias: qkvBias.pointer)
                                var next = 0
                                for t in 0..<rows {
                                    let from = sources[t] < 0 ? UnsafePointer(padded.pointer) : UnsafePointer(compact + 3 * c * next)
                                    if sources[t] >= 0 { next += 1 }
                                    (packed + t * 3 * c).update(from: from, count: 3 * c)
                                }
                                // each window's image tokens as queries, attended rows packed in token order
                                var done = 0
                                for g in 0..<count {
                                    var listed = 0
                                    for p in 0..<n where sources[g * n + p] >= 0 { queryRows[listed] = Int32(p); listed += 1 }
                                    let window = packed + g * n * 3 * c
                                    AttentionKernel<V>.forward(q: window, qLayout: layout, k: window + headDim, kLayout: layout,
                                                      v: window + 2 * headDim, vLayout: layout, out: normalized + done * c,
                                                      outLayout: outLayout, groups: 1, heads: heads, lq: n, lk: n, keyDim: headDim,
                                                      valueDim: headDim, scale: scale, bias: bias.pointer,
                                                      queryRows: listed == n ? nil : UnsafeBufferPointer(start: queryRows, count: listed))
                                    done += listed
                                }
                            }
                            // the projection of the image tokens' attended rows (in token order at the front)
                            SmallGEMMKernel<V>.multiply(normalized, lda: c, wt.packedProjection, into: packed, ldc: c, m: real,
                                                        accumulate: false, bias: projectionBias.pointer)
                            var next = 0
                            for t in 0..<rows where sources[t] >= 0 {
                                let offset = sources[t]
                                VectorMath<V>.add(input.pointer + offset, packed + next * c, into: output.pointer + offset, count: c)
                                next += 1
                            }
                        }
                    }
                }
            }
            }
        }
        return out
    }
}
