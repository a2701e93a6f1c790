import Foundation
import Parallelism

/// 2-D convolutions on channels-last images: a tensor [H, W, C] (one image) or [N, H, W, C].
/// Weights are given in PyTorch's layout and reordered once at load time.
public enum Convolution {
    /// Output size of a convolution along one axis.
    public static func outputSize(_ input: Int, kernel: Int, stride: Int, padding: Int) -> Int {
        (input + 2 * padding - kernel) / stride + 1
    }

    /// A full convolution's weight [Cout, Cin, k, k] reordered to [Cout, k, k, Cin] (the im2col row order).
    public static func channelsLastWeight(_ weight: Tensor) -> Tensor {
        let (cout, cin, kh, kw) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3])
        var out = [Float](repeating: 0, count: weight.count)
        for o in 0..<cout { for i in 0..<cin { for y in 0..<kh { for x in 0..<kw {
            out[((o * kh + y) * kw + x) * cin + i] = weight.data[((o * cin + i) * kh + y) * kw + x]
        } } } }
        return Tensor(shape: [cout, kh, kw, cin], data: out)
    }

    /// Full convolution by im2col + sgemm. `x` [N, H, W, Cin], `weight` [Cout, k, k, Cin] (channelsLastWeight).
    public static func forward(_ x: Tensor, weight: Tensor, bias: Tensor?, stride: Int, padding: Int) -> Tensor {
        let (n, h, w, cin) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (cout, k) = (weight.shape[0], weight.shape[1])
        precondition(weight.shape[3] == cin && weight.shape[2] == k)
        if k == 1 && stride == 1 && padding == 0 {
            return Linear.forward(x, weight: weight.reshaped([cout, cin]), bias: bias)
        }
        let oh = outputSize(h, kernel: k, stride: stride, padding: padding)
        let ow = outputSize(w, kernel: k, stride: stride, padding: padding)
        let patch = k * k * cin
        // im2col in bands of output rows (a bounded buffer instead of one the size of the whole patch matrix).
        let bandRows = max(1, min(oh, (1 << 21) / max(1, ow * patch)))
        var out = [Float](repeating: 0, count: n * oh * ow * cout)
        var columns = [Float](repeating: 0, count: bandRows * ow * patch)
        for image in 0..<n {
            for bandStart in Swift.stride(from: 0, to: oh, by: bandRows) {
                let rows = min(bandRows, oh - bandStart)
                x.data.withUnsafeBufferPointer { src in columns.withUnsafeMutableBufferPointer { dst in
                    let (s, d) = (UncheckedPointer(UnsafeMutablePointer(mutating: src.baseAddress! + image * h * w * cin)),
                                  UncheckedPointer(dst.baseAddress!))
                    ParallelLoop.forRanges(count: rows, minimumChunk: 1) { band in
                        for r in band {
                            let oy = bandStart + r
                            for ox in 0..<ow {
                                let row = d.pointer + (r * ow + ox) * patch
                                for ky in 0..<k {
                                    let iy = oy * stride - padding + ky
                                    for kx in 0..<k {
                                        let ix = ox * stride - padding + kx
                                        let target = row + (ky * k + kx) * cin
                                        if iy < 0 || iy >= h || ix < 0 || ix >= w {  // zero padding
                                            target.update(repeating: 0, count: cin)
                                        } else {
                                            target.update(from: s.pointer + (iy * w + ix) * cin, count: cin)
                                        }
                                    }
                                }
                            }
                        }
                    }
                } }
                let outputOffset = ((image * oh + bandStart) * ow) * cout
                out.withUnsafeMutableBufferPointer { o in columns.withUnsafeBufferPointer { c in weight.data.withUnsafeBufferPointer { wp in
                    let target = o.baseAddress! + outputOffset
                    if let bias {
                        for p in 0..<(rows * ow) { (target + p * cout).update(from: bias.data, count: cout) }
                    }
                    GEMM.multiply(c.baseAddress!, wp.baseAddress!, into: target, m: rows * ow, n: cout, k: patch,
                                  transposeB: true, beta: bias == nil ? 0 : 1)
                } } }
            }
        }
        return Tensor(shape: [n, oh, ow, cout], data: out)
    }

    /// A depthwise convolution's weight [C, 1, k, k] reordered to [k, k, C].
    public static func depthwiseWeight(_ weight: Tensor) -> Tensor {
        let (c, k) = (weight.shape[0], weight.shape[2])
        var out = [Float](repeating: 0, count: weight.count)
        for ch in 0..<c { for y in 0..<k { for x in 0..<k { out[(y * k + x) * c + ch] = weight.data[(ch * k + y) * k + x] } } }
        return Tensor(shape: [k, k, c], data: out)
    }

    /// Depthwise (groups = channels) convolution, zero padding. `x` [N, H, W, C], `weight` [k, k, C], `bias` [C].
    public static func depthwise(_ x: Tensor, weight: Tensor, bias: Tensor, stride: Int, padding: Int) -> Tensor {
        let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let k = weight.shape[0]
        let oh = outputSize(h, kernel: k, stride: stride, padding: padding)
        let ow = outputSize(w, kernel: k, stride: stride, padding: padding)
        var out = Tensor.uninitialized([n, oh, ow, c])  // depthwiseRow writes every output
        FlopCounter.add(2 * n * oh * ow * c * k * k)
        x.data.withUnsafeBufferPointer { src in weight.data.withUnsafeBufferPointer { wp in bias.data.withUnsafeBufferPointer { bp in
            out.data.withUnsafeMutableBufferPointer { dst in
                let s = UncheckedPointer(UnsafeMutablePointer(mutating: src.baseAddress!))
                let kw = UncheckedPointer(UnsafeMutablePointer(mutating: wp.baseAddress!))
                let b = UncheckedPointer(UnsafeMutablePointer(mutating: bp.baseAddress!))
                let d = UncheckedPointer(dst.baseAddress!)
                ParallelLoop.forRanges(count: n * oh, minimumChunk: 1) { rows in
                    for row in rows {
                        let image = row / oh, oy = row % oh
                        let plane = s.pointer + image * h * w * c
                        depthwiseRow(rows: { iy in iy >= 0 && iy < h ? UnsafePointer(plane + iy * w * c) : nil },
                                     outputRow: oy, outputWidth: ow, inputWidth: w, channels: c, kernel: k, stride: stride,
                                     padding: padding, taps: kw.pointer, bias: b.pointer,
                                     target: d.pointer + (image * oh + oy) * ow * c)
                    }
                }
            }
        } } }
        return out
    }

    /// One output row of a depthwise convolution (8 lanes; DepthwiseKernel for other widths).
    @inlinable @inline(__always)
    public static func depthwiseRow(rows: (Int) -> UnsafePointer<Float>?, outputRow oy: Int, outputWidth ow: Int,
                                    inputWidth w: Int, channels c: Int, kernel k: Int, stride: Int, padding: Int,
                                    taps: UnsafePointer<Float>, bias: UnsafePointer<Float>, target: UnsafeMutablePointer<Float>) {
        DepthwiseKernel<SIMD8<Float>>.row(rows: rows, outputRow: oy, outputWidth: ow, inputWidth: w, channels: c, kernel: k,
                                          stride: stride, padding: padding, taps: taps, bias: bias, target: target)
    }

    @inlinable @inline(__always) static func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inlinable @inline(__always) static func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
    }

    /// A kernel-2 stride-2 transposed convolution's weight, PyTorch's [Cin, Cout, 2, 2], reordered to
    /// [Cin, 4 * Cout] with columns ordered (ky, kx, cout).
    public static func transposed2x2Weight(_ weight: Tensor) -> Tensor {
        let (cin, cout) = (weight.shape[0], weight.shape[1])
        var reordered = [Float](repeating: 0, count: weight.count)
        for i in 0..<cin { for o in 0..<cout { for ky in 0..<2 { for kx in 0..<2 {
            reordered[i * cout * 4 + (ky * 2 + kx) * cout + o] = weight.data[((i * cout + o) * 2 + ky) * 2 + kx]
        } } } }
        return Tensor(shape: [cin, 4 * cout], data: reordered)
    }

    /// Transposed convolution with kernel 2 and stride 2 (SAM's upscaling): `x` [N, H, W, Cin], `weight` from
    /// transposed2x2Weight, `bias` [Cout] -> [N, 2H, 2W, Cout]. Output row 2y + ky is one SmallGEMM product of input row y
    /// straight into place (the taps kx = 0, 1 of a pixel are neighbours in it); `rowEpilogue(row, pixels)` then
    /// runs on that row while it is in the cache.
    public static func transposed2x2(_ x: Tensor, weight: Tensor, bias: Tensor,
                                     rowEpilogue: (@Sendable (UnsafeMutablePointer<Float>, Int) -> Void)? = nil) -> Tensor {
        let (n, h, w, cin) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3]), cout = bias.count
        let rowLength = 2 * w * cout
        precondition(weight.shape == [cin, 4 * cout], "transposed2x2 takes transposed2x2Weight's layout")
        FlopCounter.add(2 * n * h * w * cin * 4 * cout)
        var out = Tensor.uninitialized([n, 2 * h, 2 * w, cout])
        out.data.withUnsafeMutableBufferPointer { op in
            let output = UncheckedPointer(op.baseAddress!)
            withPointers([x, weight, bias]) { p in
                let (input, taps, b) = (p[0], p[1], p[2])
                let rowTaps = (0..<2).map { SmallGEMM.PackedB(taps.pointer + $0 * 2 * cout, ldb: 4 * cout, k: cin, n: 2 * cout) }
                ParallelLoop.forRanges(count: n * 2 * h, minimumChunk: 1) { rows in
                    for row in rows {
                        let image = row / (2 * h), y = (row % (2 * h)) / 2, ky = row % 2
                        let target = output.pointer + row * rowLength
                        for pixel in 0..<(2 * w) { (target + pixel * cout).update(from: b.pointer, count: cout) }
                        SmallGEMM.multiply(input.pointer + (image * h + y) * w * cin, lda: cin, rowTaps[ky], into: target,
                                           ldc: 2 * cout, m: w, accumulate: true)
                        rowEpilogue?(target, 2 * w)
                    }
                }
            }
        }
        return out
    }
}

/// One output row of a depthwise convolution on channels-last rows, for any lane width.
public enum DepthwiseKernel<V: FloatLanes> {
    /// `rows(iy)` gives input row iy, or nil outside (zero padding). Each output pixel accumulates bias + its taps
    /// in registers, four vectors of channels at a time (ascending ky, kx). Taps [k, k, C]. `gelu`: GELU applied
    /// to the outputs before they are stored.
    @inlinable @inline(__always)
    public static func row(rows: (Int) -> UnsafePointer<Float>?, outputRow oy: Int, outputWidth ow: Int,
                           inputWidth w: Int, channels c: Int, kernel k: Int, stride: Int, padding: Int,
                           taps: UnsafePointer<Float>, bias: UnsafePointer<Float>, target: UnsafeMutablePointer<Float>,
                           gelu: Bool = false) {
        let width = V.scalarCount, block = 4 * width
        withUnsafeTemporaryAllocation(of: UnsafePointer<Float>?.self, capacity: k) { inputs in
            for ky in 0..<k { inputs[ky] = rows(oy * stride - padding + ky) }
            for ox in 0..<ow {
                let x0 = ox * stride - padding
                let kxRange = max(0, -x0)..<min(k, w - x0)
                let to = target + ox * c
                var ch = 0
                while ch + block <= c {
                    var a0 = V.load(bias + ch), a1 = V.load(bias + ch + width)
                    var a2 = V.load(bias + ch + 2 * width), a3 = V.load(bias + ch + 3 * width)
                    for ky in 0..<k {
                        guard let row = inputs[ky] else { continue }
                        for kx in kxRange {
                            let from = row + (x0 + kx) * c + ch, tap = taps + (ky * k + kx) * c + ch
                            a0 = a0.addingFusedProduct(V.load(from), V.load(tap))
                            a1 = a1.addingFusedProduct(V.load(from + width), V.load(tap + width))
                            a2 = a2.addingFusedProduct(V.load(from + 2 * width), V.load(tap + 2 * width))
                            a3 = a3.addingFusedProduct(V.load(from + 3 * width), V.load(tap + 3 * width))
                        }
                    }
                    if gelu { (a0, a1, a2, a3) = (VectorMath<V>.gelu(a0), VectorMath<V>.gelu(a1), VectorMath<V>.gelu(a2), VectorMath<V>.gelu(a3)) }
                    a0.store(to + ch); a1.store(to + ch + width); a2.store(to + ch + 2 * width); a3.store(to + ch + 3 * width)
                    ch += block
                }
                while ch + width <= c {
                    var a = V.load(bias + ch)
                    for ky in 0..<k {
                        guard let row = inputs[ky] else { continue }
                        for kx in kxRange { a = a.addingFusedProduct(V.load(row + (x0 + kx) * c + ch), V.load(taps + (ky * k + kx) * c + ch)) }
                    }
                    (gelu ? VectorMath<V>.gelu(a) : a).store(to + ch)
                    ch += width
                }
                while ch < c {
                    var a = bias[ch]
                    for ky in 0..<k {
                        guard let row = inputs[ky] else { continue }
                        for kx in kxRange { a = a.addingProduct(row[(x0 + kx) * c + ch], taps[(ky * k + kx) * c + ch]) }
                    }
                    to[ch] = gelu ? 0.5 * a * (1 + Foundation.erf(a * 0.70710678118654752)) : a
                    ch += 1
                }
            }
        }
    }
}
