import Foundation

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
    typealias V = SIMD8<Float>

    /// One row: mean, biased variance (two passes, 8 lanes), then (x - mean) / sqrt(var + eps) * w + b.
    @inline(__always)
    static func row(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, _ c: Int, _ w: UnsafePointer<Float>,
                    _ b: UnsafePointer<Float>, _ epsilon: Float) {
        var lanes = V(), i = 0
        while i + 8 <= c { lanes += Convolution.load(x + i); i += 8 }
        var sum = lanes.sum()
        while i < c { sum += x[i]; i += 1 }
        let mean = sum / Float(c)
        var squares = V(), j = 0
        let m = V(repeating: mean)
        while j + 8 <= c { let d = Convolution.load(x + j) - m; squares = squares.addingProduct(d, d); j += 8 }
        var total = squares.sum()
        while j < c { let d = x[j] - mean; total += d * d; j += 1 }
        let inv = 1 / (total / Float(c) + epsilon).squareRoot()
        let scale = V(repeating: inv)
        var o = 0
        while o + 8 <= c {
            let normalized = (Convolution.load(x + o) - m) * scale
            Convolution.store(Convolution.load(b + o).addingProduct(normalized, Convolution.load(w + o)), y + o)
            o += 8
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

    @inline(__always)
    static func row(_ p: UnsafeMutablePointer<Float>, _ n: Int) {
        var top = -Float.infinity
        var i = 0
        var lanes = Elementwise.Lanes(repeating: -.infinity)
        while i + 8 <= n {
            let v = UnsafeRawPointer(p + i).loadUnaligned(as: Elementwise.Lanes.self)
            lanes = lanes.replacing(with: v, where: v .> lanes)
            i += 8
        }
        top = lanes.max()
        while i < n { top = max(top, p[i]); i += 1 }
        var sum: Float = 0
        i = 0
        let shift = Elementwise.Lanes(repeating: top)
        while i + 8 <= n {
            let raw = UnsafeMutableRawPointer(p + i)
            let e = Elementwise.exp(raw.loadUnaligned(as: Elementwise.Lanes.self) - shift)
            raw.storeBytes(of: e, as: Elementwise.Lanes.self)
            sum += e.sum()
            i += 8
        }
        while i < n {
            p[i] = Foundation.exp(p[i] - top)
            sum += p[i]
            i += 1
        }
        let inv = 1 / sum
        var j = 0
        while j + 8 <= n {
            let raw = UnsafeMutableRawPointer(p + j)
            raw.storeBytes(of: raw.loadUnaligned(as: Elementwise.Lanes.self) * inv, as: Elementwise.Lanes.self)
            j += 8
        }
        while j < n { p[j] *= inv; j += 1 }
    }
}
