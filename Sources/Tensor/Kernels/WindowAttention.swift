import Foundation
import Parallelism

/// TinyViT's window attention with its residual, fused over chunks of windows:
/// out = x + unpartition(proj(attention(qkv(LayerNorm(partition(pad(x))))))), x [H, W, C] channels-last.
/// Each thread takes whole windows, about chunkTokens tokens at a time, and runs every step on them while they
/// are in its L2: gather + normalize, the qkv product, attention per (window, head), the projection, and the
/// scatter that adds the residual. Padded tokens (bottom/right, to whole windows) are zeros before the norm, as
/// F.pad, so they normalize to the norm's bias; they take part in the attention and are dropped at the scatter.
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
        FlopCounter.add(2 * windows * n * c * 4 * c)  // the qkv and projection products; Attention counts its own
        let perChunk = max(1, chunkTokens / n), chunks = (windows + perChunk - 1) / perChunk
        var out = Tensor.uninitialized(x.shape)
        let wt = weights
        withPointers([x, wt.normWeight, wt.normBias, wt.qkvBias, wt.projectionBias, wt.positionBias]) { p in
            let (input, gamma, beta, qkvBias, projectionBias, bias) = (p[0], p[1], p[2], p[3], p[4], p[5])
            out.data.withUnsafeMutableBufferPointer { o in
                let output = UncheckedPointer(o.baseAddress!)
                ParallelLoop.forRanges(count: chunks, minimumChunk: 1) { range in
                    let tokens = perChunk * n
                    let normalized = UnsafeMutablePointer<Float>.allocate(capacity: tokens * 4 * c)  // then the attended rows
                    defer { normalized.deallocate() }
                    let packed = normalized + tokens * c  // [q | k | v] rows, then the projected rows
                    ParallelLoop.serially {
                        for chunk in range {
                            let first = chunk * perChunk, count = min(perChunk, windows - first), rows = count * n
                            for t in 0..<rows {
                                let (y, column) = WindowPartition.position(first * n + t, window: window, across: across)
                                if y < h && column < w {
                                    LayerNormKernel<V>.row(input.pointer + (y * w + column) * c, into: normalized + t * c, c,
                                                           gamma.pointer, beta.pointer, wt.epsilon)
                                } else {
                                    (normalized + t * c).update(from: beta.pointer, count: c)
                                }
                            }
                            SmallGEMMKernel<V>.multiply(normalized, lda: c, wt.packedQKV, into: packed, ldc: 3 * c, m: rows,
                                                        accumulate: false, bias: qkvBias.pointer)
                            let layout = Attention.Layout(groupStride: n * 3 * c, headOffset: 3 * headDim, rowStride: 3 * c)
                            AttentionKernel<V>.forward(q: packed, qLayout: layout, k: packed + headDim, kLayout: layout,
                                              v: packed + 2 * headDim, vLayout: layout, out: normalized,
                                              outLayout: .init(groupStride: n * c, headOffset: headDim, rowStride: c),
                                              groups: count, heads: heads, lq: n, lk: n, keyDim: headDim, valueDim: headDim,
                                              scale: 1 / Float(headDim).squareRoot(), bias: bias.pointer)
                            SmallGEMMKernel<V>.multiply(normalized, lda: c, wt.packedProjection, into: packed, ldc: c, m: rows,
                                                        accumulate: false, bias: projectionBias.pointer)
                            for t in 0..<rows {
                                let (y, column) = WindowPartition.position(first * n + t, window: window, across: across)
                                guard y < h && column < w else { continue }
                                let offset = (y * w + column) * c
                                VectorMath<V>.add(input.pointer + offset, packed + t * c, into: output.pointer + offset, count: c)
                            }
                        }
                    }
                }
            }
        }
        return out
    }
}
