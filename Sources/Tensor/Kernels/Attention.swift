import Foundation
import Parallelism

/// Scaled dot-product attention over many independent (group, head) pairs: softmax(Q K^T * scale + bias) V.
/// Matrices are addressed by pointer, offset and row stride, so interleaved layouts (TinyViT's per-head
/// q|k|v packing, SAM's head-split channels) need no copies.
///
/// Each pair runs in registers (AttentionBlocks): K is copied transposed into zero-padded scratch once per pair
/// (8 x 8 blocks through registers; V too, unless its head size is a multiple of 16, when it is read in place).
/// Query rows go 12 at a time, so their scores stay in L1: built 4 rows by 24 keys at a time, exponentiated (the
/// 1 / sum folded into the output), and P V built 6 rows by 16 value columns at a time. (SAM's head sizes, 16 and
/// 32, are far too small for sgemm's packing to pay.)
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

    /// The row length of K^T and of the scores for lk keys, for the 8-lane kernels: lk rounded up to 8, plus 8
    /// more when that is a multiple of 4 KB (4096 keys in SAM's decoder).
    public static func keyStride(for lk: Int) -> Int { AttentionBlocks<SIMD8<Float>>.keyStride(for: lk) }

    /// Runs attention for `groups` x `heads` pairs (8 lanes; AttentionKernel for other widths). `bias` (optional)
    /// is [heads, lq, lk], shared by all groups.
    public static func forward(q: UnsafePointer<Float>, qLayout: Layout, k: UnsafePointer<Float>, kLayout: Layout,
                               v: UnsafePointer<Float>, vLayout: Layout, out: UnsafeMutablePointer<Float>, outLayout: Layout,
                               groups: Int, heads: Int, lq: Int, lk: Int, keyDim: Int, valueDim: Int, scale: Float,
                               bias: UnsafePointer<Float>? = nil) {
        AttentionKernel<SIMD8<Float>>.forward(q: q, qLayout: qLayout, k: k, kLayout: kLayout, v: v, vLayout: vLayout, out: out,
                                              outLayout: outLayout, groups: groups, heads: heads, lq: lq, lk: lk, keyDim: keyDim,
                                              valueDim: valueDim, scale: scale, bias: bias)
    }

    /// Attention against keys and values already laid out as the kernels read them, so nothing is copied per
    /// call (SAM's decoder: a few tokens against the 4096 cached image rows, for every prompt). Per head h: K
    /// transposed at kT + h * kTHeadOffset, [keyDim, keyStride(for: lk)] (columns past lk are read but unused;
    /// keep them finite), and V at v + h * vHeadOffset, [lk, valueDim] with valueDim a multiple of 16.
    public static func forward(q: UnsafePointer<Float>, qLayout: Layout, kT: UnsafePointer<Float>, kTHeadOffset: Int,
                               v: UnsafePointer<Float>, vHeadOffset: Int, out: UnsafeMutablePointer<Float>,
                               outLayout: Layout, heads: Int, lq: Int, lk: Int, keyDim: Int, valueDim: Int, scale: Float) {
        typealias Blocks = AttentionBlocks<SIMD8<Float>>
        precondition(valueDim % 16 == 0, "cached attention needs a multiple of 16 value columns")
        let keyStride = keyStride(for: lk)
        FlopCounter.add(2 * heads * lq * lk * (keyDim + valueDim))
        let (qp, kp, vp) = (UncheckedPointer(UnsafeMutablePointer(mutating: q)), UncheckedPointer(UnsafeMutablePointer(mutating: kT)),
                            UncheckedPointer(UnsafeMutablePointer(mutating: v)))
        let op = UncheckedPointer(out)
        ParallelLoop.forRanges(count: heads, minimumChunk: 1) { range in
            var scratch = Blocks.Scratch(lk: lk, keys: keyStride, keyDim: keyDim, values: valueDim, owned: false)
            defer { scratch.deallocate() }
            for h in range {
                scratch.kT = kp.pointer + h * kTHeadOffset
                scratch.v = vp.pointer + h * vHeadOffset
                scratch.vStride = valueDim
                Blocks.attend(q: qp.pointer + h * qLayout.headOffset, qRowStride: qLayout.rowStride, scratch: scratch,
                              rows: lq, lk: lk, keys: keyStride, keyDim: keyDim, values: valueDim, scale: scale,
                              bias: nil, out: op.pointer + h * outLayout.headOffset, outRowStride: outLayout.rowStride,
                              valueDim: valueDim)
            }
        }
    }
}

/// Scaled dot-product attention over (group, head) pairs for any lane width (Attention.forward's body). With
/// `queryRows`, only those query rows (indices into lq, the same for every group) are computed, and output row r of
/// each group is query row queryRows[r]: TinyViT's padded window tokens are keys and values, never outputs.
public enum AttentionKernel<V: FloatLanes> {
    @inlinable
    public static func forward(q: UnsafePointer<Float>, qLayout: Attention.Layout, k: UnsafePointer<Float>, kLayout: Attention.Layout,
                               v: UnsafePointer<Float>, vLayout: Attention.Layout, out: UnsafeMutablePointer<Float>,
                               outLayout: Attention.Layout, groups: Int, heads: Int, lq: Int, lk: Int, keyDim: Int, valueDim: Int,
                               scale: Float, bias: UnsafePointer<Float>? = nil, queryRows: UnsafeBufferPointer<Int32>? = nil) {
        typealias Blocks = AttentionBlocks<V>
        let pairs = groups * heads, outputs = queryRows?.count ?? lq
        FlopCounter.add(2 * pairs * outputs * lk * (keyDim + valueDim))
        let (qp, kp, vp) = (UncheckedPointer(UnsafeMutablePointer(mutating: q)), UncheckedPointer(UnsafeMutablePointer(mutating: k)),
                            UncheckedPointer(UnsafeMutablePointer(mutating: v)))
        let op = UncheckedPointer(out)
        let bp = bias.map { UncheckedPointer(UnsafeMutablePointer(mutating: $0)) }
        let ip = queryRows.map { UncheckedPointer(UnsafeMutablePointer(mutating: $0.baseAddress!)) }
        // Rows of K^T and of the scores are keyStride(for: lk) long.
        let keys = Blocks.keyStride(for: lk), values = Blocks.roundUp(valueDim, Blocks.valueBlock)
        // One pair's query rows split over the threads when there are fewer pairs than threads (SAM's decoder).
        let rowParts = pairs >= ParallelLoop.threads ? 1 : max(1, min(ParallelLoop.threads, outputs / 64))
        ParallelLoop.forRanges(count: pairs * rowParts, minimumChunk: 1) { range in
            var scratch = Blocks.Scratch(lk: lk, keys: keys, keyDim: keyDim, values: values)
            defer { scratch.deallocate() }
            var loaded = -1
            for item in range {
                let pair = item / rowParts, part = item % rowParts
                let g = pair / heads, h = pair % heads
                let kBase = kp.pointer + g * kLayout.groupStride + h * kLayout.headOffset
                let vBase = vp.pointer + g * vLayout.groupStride + h * vLayout.headOffset
                if loaded != pair {
                    scratch.load(k: kBase, kRowStride: kLayout.rowStride, v: vBase, vRowStride: vLayout.rowStride,
                                 lk: lk, keyDim: keyDim, valueDim: valueDim)
                    loaded = pair
                }
                let rows = (outputs * part / rowParts)..<(outputs * (part + 1) / rowParts)
                // without a row list, output row r is query row r: start both at the range's first row
                let skipped = ip == nil ? rows.lowerBound : 0
                Blocks.attend(
                    q: qp.pointer + g * qLayout.groupStride + h * qLayout.headOffset + skipped * qLayout.rowStride,
                    qRowStride: qLayout.rowStride, rowIndex: ip.map { UnsafePointer($0.pointer + rows.lowerBound) },
                    scratch: scratch, rows: rows.count, lk: lk, keys: keys, keyDim: keyDim, values: values, scale: scale,
                    bias: bp.map { $0.pointer + (h * lq + skipped) * lk },
                    out: op.pointer + g * outLayout.groupStride + h * outLayout.headOffset + rows.lowerBound * outLayout.rowStride,
                    outRowStride: outLayout.rowStride, valueDim: valueDim)
            }
        }
    }
}
