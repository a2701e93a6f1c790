import Foundation
import Parallelism

/// An inverted-residual block fused over row tiles so its wide hidden activations never leave the cache:
/// out = GELU(x + conv3(GELU(depthwise3x3(GELU(conv1(x)))))), on [H, W, C] channels-last, stride 1; or, with
/// `residual: false` and any stride, TinyViT's patch merging conv3(GELU(depthwise3x3_s(GELU(conv1(x))))).
/// Each thread takes a run of output row tiles; a tile computes conv1 for the input rows it has not seen yet
/// (kept in a ring, so neighbouring tiles share their halo rows), the depthwise conv, conv3 (and the residual),
/// with SmallGEMM on the 1x1 weights packed once (conv1^T [C, hidden], conv3^T [hidden, Cout], from
/// `SmallGEMM.PackedB(transposing:)`; OpenBLAS would pack both operands again for every tile); depthwise [3, 3, hidden].
public enum InvertedResidual {
    /// The most output rows a tile holds.
    public static let maximumTileRows = 8
    /// Bytes a thread's ring and filtered rows may take: a tile's working set stays inside its core's L2.
    static let tileBytes = 1 << 20

    /// Output rows per tile for rows of `width` pixels of `hidden` channels at `stride`: as many as fit
    /// `tileBytes` (stage 1 at 256x256 with 256 hidden channels: one row; 8 rows would stream 4.6 MB per tile).
    public static func tileRows(width: Int, outputWidth: Int, hidden: Int, stride: Int) -> Int {
        var rows = maximumTileRows
        while rows > 1 && ((rows * stride + 2) * width + rows * outputWidth) * hidden * 4 > tileBytes { rows -= 1 }
        return rows
    }

    /// Runs the AVX-512 kernels when they are installed.
    public static func forward(_ x: Tensor, expand: SmallGEMM.PackedB, expandBias: Tensor, depthwise: Tensor, depthwiseBias: Tensor,
                               project: SmallGEMM.PackedB, projectBias: Tensor, stride: Int = 1, residual: Bool = true) -> Tensor {
        EngineKernels.table.invertedResidual(x, expand, expandBias, depthwise, depthwiseBias, project, projectBias, stride, residual)
    }
}

/// InvertedResidual.forward for any lane width.
public enum InvertedResidualKernel<V: FloatLanes> {
    @inlinable
    public static func forward(_ x: Tensor, expand: SmallGEMM.PackedB, expandBias: Tensor, depthwise: Tensor, depthwiseBias: Tensor,
                               project: SmallGEMM.PackedB, projectBias: Tensor, stride: Int, residual: Bool) -> Tensor {
        let (h, w, c) = (x.shape[0], x.shape[1], x.shape[2])
        let (hidden, cout) = (expand.n, project.n)
        precondition(expand.k == c && project.k == hidden, "1x1 weights for \(c) -> \(hidden) -> \(cout) channels")
        precondition(!residual || (stride == 1 && cout == c), "a residual needs stride 1 and as many output channels")
        let (oh, ow) = ((h - 1) / stride + 1, (w - 1) / stride + 1)
        let tileRows = InvertedResidual.tileRows(width: w, outputWidth: ow, hidden: hidden, stride: stride)
        let tiles = (oh + tileRows - 1) / tileRows
        FlopCounter.add(2 * h * w * c * hidden + 2 * oh * ow * (9 * hidden + hidden * cout))
        var out = Tensor.uninitialized([oh, ow, cout])
        x.data.withUnsafeBufferPointer { xp in out.data.withUnsafeMutableBufferPointer { op in
        expandBias.data.withUnsafeBufferPointer { eb in
        depthwise.data.withUnsafeBufferPointer { d in depthwiseBias.data.withUnsafeBufferPointer { db in
        projectBias.data.withUnsafeBufferPointer { pb in
            let pointers = (UncheckedPointer(UnsafeMutablePointer(mutating: xp.baseAddress!)), UncheckedPointer(op.baseAddress!),
                            UncheckedPointer(UnsafeMutablePointer(mutating: eb.baseAddress!)),
                            UncheckedPointer(UnsafeMutablePointer(mutating: d.baseAddress!)),
                            UncheckedPointer(UnsafeMutablePointer(mutating: db.baseAddress!)),
                            UncheckedPointer(UnsafeMutablePointer(mutating: pb.baseAddress!)))
            ParallelLoop.forRanges(count: tiles, minimumChunk: 1) { range in
                let (input, output, eb, d, db, pb) = pointers
                // Output rows [first, last) read input rows first * stride - 1 ... (last - 1) * stride + 1: at most
                // tileRows * stride + 2 rows live at once.
                let ring = tileRows * stride + 2, rowLength = w * hidden
                let expanded = UnsafeMutablePointer<Float>.allocate(capacity: ring * rowLength)
                let filtered = UnsafeMutablePointer<Float>.allocate(capacity: tileRows * ow * hidden)
                defer { expanded.deallocate(); filtered.deallocate() }
                var computed = 0  // conv1 rows [.., computed) of this range are in the ring
                for tile in range {
                    let first = tile * tileRows, last = min(oh, first + tileRows)
                    var row = max(max(0, first * stride - 1), computed)
                    let needed = min(h, (last - 1) * stride + 2)
                    // conv1 (+ bias) and GELU on the rows the depthwise conv reads, in runs that do not wrap.
                    while row < needed {
                        let slot = row % ring, count = min(needed - row, ring - slot)
                        let target = expanded + slot * rowLength
                        SmallGEMMKernel<V>.multiply(input.pointer + row * w * c, lda: c, expand, into: target, ldc: hidden,
                                                    m: count * w, accumulate: false, bias: eb.pointer)
                        VectorMath<V>.geluRange(target, 0..<(count * rowLength))
                        row += count
                    }
                    computed = needed
                    for oy in first..<last {
                        DepthwiseKernel<V>.row(
                            rows: { iy in iy >= 0 && iy < h ? UnsafePointer(expanded + (iy % ring) * rowLength) : nil },
                            outputRow: oy, outputWidth: ow, inputWidth: w, channels: hidden, kernel: 3, stride: stride,
                            padding: 1, taps: d.pointer, bias: db.pointer, target: filtered + (oy - first) * ow * hidden,
                            gelu: true)
                    }
                    let pixels = (last - first) * ow
                    // conv3 + bias (+ residual, then GELU).
                    let target = output.pointer + first * ow * cout, source = input.pointer + first * w * c
                    if residual {
                        for i in 0..<pixels { VectorMath<V>.add(source + i * c, pb.pointer, into: target + i * cout, count: cout) }
                    }
                    SmallGEMMKernel<V>.multiply(filtered, lda: hidden, project, into: target, ldc: cout, m: pixels,
                                                accumulate: residual, bias: residual ? nil : pb.pointer)
                    if residual { VectorMath<V>.geluRange(target, 0..<(pixels * cout)) }
                }
            }
        } } } } } }
        return out
    }
}
