import Foundation
import Parallelism

/// Layer normalization over the last dimension (torch.nn.LayerNorm; also SAM's LayerNorm2d on channels-last data).
public enum LayerNorm {
    /// `x` [..., C]; `weight`, `bias` [C]; biased variance, as torch.
    public static func forward(_ x: Tensor, weight: Tensor, bias: Tensor, epsilon: Float) -> Tensor {
        let c = weight.count
        precondition(x.shape.last == c && bias.count == c)
        let rows = x.count / c
        var out = Tensor.uninitialized(x.shape)
        x.data.withUnsafeBufferPointer { xp in weight.data.withUnsafeBufferPointer { wp in bias.data.withUnsafeBufferPointer { bp in
            out.data.withUnsafeMutableBufferPointer { op in
                let (src, dst) = (UncheckedPointer(UnsafeMutablePointer(mutating: xp.baseAddress!)), UncheckedPointer(op.baseAddress!))
                let (w, b) = (UncheckedPointer(UnsafeMutablePointer(mutating: wp.baseAddress!)),
                              UncheckedPointer(UnsafeMutablePointer(mutating: bp.baseAddress!)))
                ParallelLoop.forRanges(count: rows, minimumChunk: max(1, 16384 / c)) { range in
                    for r in range { row(src.pointer + r * c, into: dst.pointer + r * c, c, w.pointer, b.pointer, epsilon) }
                }
            }
        } } }
        return out
    }
}

extension LayerNorm {
    public typealias V = SIMD8<Float>

    /// In place over `rows` consecutive rows of C = weight.count values (for fused epilogues).
    public static func inPlace(_ p: UnsafeMutablePointer<Float>, rows: Int, weight: Tensor, bias: Tensor, epsilon: Float) {
        let c = weight.count
        weight.data.withUnsafeBufferPointer { w in bias.data.withUnsafeBufferPointer { b in
            for r in 0..<rows { row(p + r * c, into: p + r * c, c, w.baseAddress!, b.baseAddress!, epsilon) }
        } }
    }

    /// One row (8 lanes; LayerNormKernel for other widths).
    @inlinable @inline(__always)
    public static func row(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, _ c: Int, _ w: UnsafePointer<Float>,
                           _ b: UnsafePointer<Float>, _ epsilon: Float) {
        LayerNormKernel<V>.row(x, into: y, c, w, b, epsilon)
    }
}

/// Layer normalization of one row, for any lane width.
public enum LayerNormKernel<V: FloatLanes> {
    /// One row: mean, biased variance (two passes), then (x - mean) / sqrt(var + eps) * w + b.
    @inlinable @inline(__always)
    public static func row(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, _ c: Int, _ w: UnsafePointer<Float>,
                           _ b: UnsafePointer<Float>, _ epsilon: Float) {
        let width = V.scalarCount
        var lanes = V(), i = 0
        while i + width <= c { lanes += V.load(x + i); i += width }
        var sum = lanes.sum()
        while i < c { sum += x[i]; i += 1 }
        let mean = sum / Float(c)
        var squares = V(), j = 0
        let m = V(repeating: mean)
        while j + width <= c { let d = V.load(x + j) - m; squares = squares.addingFusedProduct(d, d); j += width }
        var total = squares.sum()
        while j < c { let d = x[j] - mean; total += d * d; j += 1 }
        let inv = 1 / (total / Float(c) + epsilon).squareRoot()
        let scale = V(repeating: inv)
        var o = 0
        while o + width <= c {
            let normalized = (V.load(x + o) - m) * scale
            V.load(b + o).addingFusedProduct(normalized, V.load(w + o)).store(y + o)
            o += width
        }
        while o < c { y[o] = (x[o] - mean) * inv * w[o] + b[o]; o += 1 }
    }
}

/// Softmax over the last dimension, in place (numerically stable: the row maximum is subtracted first).
public enum Softmax {
    public static func rows(_ values: inout [Float], width: Int) {
        let rows = values.count / width
        values.withUnsafeMutableBufferPointer { buffer in
            let p = UncheckedPointer(buffer.baseAddress!)
            ParallelLoop.forRanges(count: rows, minimumChunk: max(1, 16384 / width)) { range in
                for r in range { row(p.pointer + r * width, width) }
            }
        }
    }

    /// Softmax within interleaved groups: each row of 8 * length values holds 8 groups, value i of group g at
    /// i * 8 + g (SAM's image-to-token weights, token-major with the 8 heads in the lanes), so the whole row is
    /// lane-wise vector work.
    public static func interleaved8(_ values: inout [Float], length: Int) {
        let width = 8 * length, rows = values.count / width
        precondition(rows * width == values.count && length > 0)
        values.withUnsafeMutableBufferPointer { buffer in
            let p = UncheckedPointer(buffer.baseAddress!)
            ParallelLoop.forRanges(count: rows, minimumChunk: 512) { range in
                for r in range { interleavedRow8(p.pointer + r * width, length: length) }
            }
        }
    }

    /// One row of interleaved8 in place: 8 groups of `length` values (value i of group g at i * 8 + g).
    @inline(__always)
    static func interleavedRow8(_ row: UnsafeMutablePointer<Float>, length: Int) {
        var top = Convolution.load(row)
        for i in 1..<length { let v = Convolution.load(row + 8 * i); top = top.replacing(with: v, where: v .> top) }
        var sum = SIMD8<Float>()
        for i in 0..<length {
            let e = Elementwise.exp(Convolution.load(row + 8 * i) - top)
            Convolution.store(e, row + 8 * i)
            sum += e
        }
        let scale = 1 / sum
        for i in 0..<length { Convolution.store(Convolution.load(row + 8 * i) * scale, row + 8 * i) }
    }

    /// One row in place: exponentiate (below), then scale by the inverse sum.
    @inline(__always)
    static func row(_ p: UnsafeMutablePointer<Float>, _ n: Int) {
        let (_, sum) = exponentiate(p, count: n)
        let scale = SIMD8<Float>(repeating: 1 / sum)
        var j = 0
        while j + 8 <= n { Convolution.store(Convolution.load(p + j) * scale, p + j); j += 8 }
        while j < n { p[j] *= scale[0]; j += 1 }
    }

    /// The unnormalized half of a softmax (8 lanes; SoftmaxKernel for other widths).
    @inlinable @inline(__always)
    public static func exponentiate(_ p: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>? = nil,
                                    count n: Int) -> (maximum: Float, sum: Float) {
        SoftmaxKernel<SIMD8<Float>>.exponentiate(p, bias: bias, count: n)
    }
}

/// The unnormalized half of a softmax, for any lane width.
public enum SoftmaxKernel<V: FloatLanes> {
    /// In place over `count` values: x (+ bias, when given) -> exp(x - max), with a vector running sum (the last
    /// partial lanes go through the same vector exp). Returns the maximum (of x + bias) and the sum of the
    /// exponentials; callers fold 1 / sum into whatever reads the row next.
    @inlinable @inline(__always)
    public static func exponentiate(_ p: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>? = nil,
                                    count n: Int) -> (maximum: Float, sum: Float) {
        let width = V.scalarCount
        var lanes = V(repeating: -.infinity)
        var i = 0
        if let bias {
            while i + width <= n {
                let v = V.load(p + i) + V.load(bias + i)
                v.store(p + i)
                lanes = lanes.lanewiseMaximum(v)
                i += width
            }
            for j in i..<n { p[j] += bias[j] }
        } else {
            while i + width <= n {
                let v = V.load(p + i)
                lanes = lanes.lanewiseMaximum(v)
                i += width
            }
        }
        var top = lanes.largest()
        while i < n { top = max(top, p[i]); i += 1 }
        let shift = V(repeating: top)
        var sums = V()
        i = 0
        while i + width <= n {
            let e = VectorMath<V>.exp(V.load(p + i) - shift)
            e.store(p + i)
            sums += e
            i += width
        }
        if i < n {
            var tail = V(repeating: -.infinity)
            for lane in 0..<(n - i) { tail[lane] = p[i + lane] }
            var e = VectorMath<V>.exp(tail - shift)
            for lane in (n - i)..<width { e[lane] = 0 }
            for lane in 0..<(n - i) { p[i + lane] = e[lane] }
            sums += e
        }
        return (top, sums.sum())
    }
}

