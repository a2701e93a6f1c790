import Foundation

/// Scaled dot-product attention over many independent (group, head) pairs: softmax(Q K^T * scale + bias) V.
/// Matrices are addressed by pointer, offset and row stride, so interleaved layouts (TinyViT's per-head
/// q|k|v packing, SAM's head-split channels) need no copies.
public enum Attention {
    /// Where one operand lives: element (group g, head h, row r, column c) is at
    /// base + g * groupStride + h * headOffset + r * rowStride + c.
    public struct Layout: Sendable {
        public var groupStride: Int
        public var headOffset: Int
        public var rowStride: Int

        public init(groupStride: Int, headOffset: Int, rowStride: Int) {
            self.groupStride = groupStride
            self.headOffset = headOffset
            self.rowStride = rowStride
        }
    }

    /// Runs attention for `groups` x `heads` pairs. `bias` (optional) is [heads, lq, lk], shared by all groups.
    public static func forward(q: UnsafePointer<Float>, qLayout: Layout, k: UnsafePointer<Float>, kLayout: Layout,
                               v: UnsafePointer<Float>, vLayout: Layout, out: UnsafeMutablePointer<Float>, outLayout: Layout,
                               groups: Int, heads: Int, lq: Int, lk: Int, keyDim: Int, valueDim: Int, scale: Float,
                               bias: UnsafePointer<Float>? = nil) {
        let pairs = groups * heads
        FlopCounter.add(2 * pairs * lq * lk * (keyDim + valueDim))
        let (qp, kp, vp) = (UncheckedPointer(UnsafeMutablePointer(mutating: q)), UncheckedPointer(UnsafeMutablePointer(mutating: k)),
                            UncheckedPointer(UnsafeMutablePointer(mutating: v)))
        let op = UncheckedPointer(out)
        let bp = bias.map { UncheckedPointer(UnsafeMutablePointer(mutating: $0)) }
        ParallelLoop.forRanges(count: pairs, minimumChunk: 1) { range in
            let scores = UnsafeMutablePointer<Float>.allocate(capacity: lq * lk)
            defer { scores.deallocate() }
            for pair in range {
                let g = pair / heads, h = pair % heads
                let qBase = qp.pointer + g * qLayout.groupStride + h * qLayout.headOffset
                let kBase = kp.pointer + g * kLayout.groupStride + h * kLayout.headOffset
                let vBase = vp.pointer + g * vLayout.groupStride + h * vLayout.headOffset
                let oBase = op.pointer + g * outLayout.groupStride + h * outLayout.headOffset
                if let bp {
                    scores.update(from: bp.pointer + h * lq * lk, count: lq * lk)
                }
                GEMM.multiply(qBase, kBase, into: scores, m: lq, n: lk, k: keyDim, transposeB: true, alpha: scale,
                              beta: bp == nil ? 0 : 1, lda: qLayout.rowStride, ldb: kLayout.rowStride, ldc: lk,
                              parallel: pairs == 1)
                for r in 0..<lq { Softmax.row(scores + r * lk, lk) }
                GEMM.multiply(scores, vBase, into: oBase, m: lq, n: valueDim, k: lk, lda: lk, ldb: vLayout.rowStride,
                              ldc: outLayout.rowStride, parallel: pairs == 1)
            }
        }
    }
}
