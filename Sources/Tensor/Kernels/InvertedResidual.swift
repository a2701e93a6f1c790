import Foundation

/// An inverted-residual block fused over row tiles so its wide hidden activations never leave the cache:
/// out = GELU(x + conv3(GELU(depthwise3x3(GELU(conv1(x)))))), on [H, W, C] channels-last, stride 1.
/// Each thread takes a run of row tiles; a tile computes conv1 for the rows it has not seen yet (its rows and a
/// one-row halo, kept in a ring), the depthwise conv, conv3 and the residual, with single-threaded sgemm.
/// Weights: conv1 [hidden, C], depthwise [3, 3, hidden], conv3 [C, hidden].
public enum InvertedResidual {
    public static let tileRows = 8

    public static func forward(_ x: Tensor, expand: Tensor, expandBias: Tensor, depthwise: Tensor, depthwiseBias: Tensor,
                               project: Tensor, projectBias: Tensor) -> Tensor {
        let (h, w, c) = (x.shape[0], x.shape[1], x.shape[2])
        let hidden = expand.shape[0]
        let tiles = (h + tileRows - 1) / tileRows
        FlopCounter.add(2 * h * w * (2 * c * hidden + 9 * hidden))
        var out = Tensor.uninitialized(x.shape)
        x.data.withUnsafeBufferPointer { xp in out.data.withUnsafeMutableBufferPointer { op in
        expand.data.withUnsafeBufferPointer { e in expandBias.data.withUnsafeBufferPointer { eb in
        depthwise.data.withUnsafeBufferPointer { d in depthwiseBias.data.withUnsafeBufferPointer { db in
        project.data.withUnsafeBufferPointer { p in projectBias.data.withUnsafeBufferPointer { pb in
            let pointers = (UncheckedPointer(UnsafeMutablePointer(mutating: xp.baseAddress!)), UncheckedPointer(op.baseAddress!),
                            UncheckedPointer(UnsafeMutablePointer(mutating: e.baseAddress!)),
                            UncheckedPointer(UnsafeMutablePointer(mutating: eb.baseAddress!)),
                            UncheckedPointer(UnsafeMutablePointer(mutating: d.baseAddress!)),
                            UncheckedPointer(UnsafeMutablePointer(mutating: db.baseAddress!)),
                            UncheckedPointer(UnsafeMutablePointer(mutating: p.baseAddress!)),
                            UncheckedPointer(UnsafeMutablePointer(mutating: pb.baseAddress!)))
            ParallelLoop.forRanges(count: tiles, minimumChunk: 1) { range in
                let (input, output, e, eb, d, db, p, pb) = pointers
                // conv1 rows live in a ring of tileRows + 2 rows, so consecutive tiles share their halo rows
                // instead of computing them twice.
                let ring = tileRows + 2, rowLength = w * hidden
                let expanded = UnsafeMutablePointer<Float>.allocate(capacity: ring * rowLength)
                let filtered = UnsafeMutablePointer<Float>.allocate(capacity: tileRows * rowLength)
                defer { expanded.deallocate(); filtered.deallocate() }
                var computed = 0  // conv1 rows [.., computed) of this range are in the ring
                for tile in range {
                    let first = tile * tileRows, last = min(h, first + tileRows)  // output rows [first, last)
                    var row = max(max(0, first - 1), computed)
                    let needed = min(h, last + 1)
                    // conv1 (+ bias) and GELU on the rows the depthwise conv reads, in runs that do not wrap.
                    while row < needed {
                        let slot = row % ring, count = min(needed - row, ring - slot)
                        let target = expanded + slot * rowLength
                        for i in 0..<(count * w) { (target + i * hidden).update(from: eb.pointer, count: hidden) }
                        GEMM.multiply(input.pointer + row * w * c, e.pointer, into: target, m: count * w, n: hidden,
                                      k: c, transposeB: true, beta: 1, parallel: false)
                        Elementwise.geluRange(target, 0..<(count * rowLength))
                        row += count
                    }
                    computed = needed
                    for oy in first..<last {
                        Convolution.depthwiseRow(
                            rows: { iy in iy >= 0 && iy < h ? UnsafePointer(expanded + (iy % ring) * rowLength) : nil },
                            outputRow: oy, outputWidth: w, inputWidth: w, channels: hidden, kernel: 3, stride: 1, padding: 1,
                            taps: d.pointer, bias: db.pointer, target: filtered + (oy - first) * rowLength)
                    }
                    let rows = last - first
                    Elementwise.geluRange(filtered, 0..<(rows * w * hidden))
                    // conv3 + bias + residual, then GELU.
                    let target = output.pointer + first * w * c, residual = input.pointer + first * w * c
                    for i in 0..<(rows * w) {
                        for ch in 0..<c { target[i * c + ch] = residual[i * c + ch] + pb.pointer[ch] }
                    }
                    GEMM.multiply(filtered, p.pointer, into: target, m: rows * w, n: c, k: hidden, transposeB: true,
                                  beta: 1, parallel: false)
                    Elementwise.geluRange(target, 0..<(rows * w * c))
                }
            }
        } } } } } } } }
        return out
    }
}
