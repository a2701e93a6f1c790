import Foundation

/// Slow, obviously correct versions of the fast kernels, for tests (double accumulation, plain loops).
public enum NaiveKernels {
    public static func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
        let inFeatures = weight.shape[1], outFeatures = weight.shape[0]
        let rows = x.count / inFeatures
        var out = [Float](repeating: 0, count: rows * outFeatures)
        for r in 0..<rows {
            for o in 0..<outFeatures {
                var sum = Double(bias?.data[o] ?? 0)
                for i in 0..<inFeatures { sum += Double(x.data[r * inFeatures + i]) * Double(weight.data[o * inFeatures + i]) }
                out[r * outFeatures + o] = Float(sum)
            }
        }
        return Tensor(shape: Array(x.shape.dropLast()) + [outFeatures], data: out)
    }
}

extension NaiveKernels {
    /// GELU with libm's erf, in Double.
    public static func gelu(_ values: [Float]) -> [Float] {
        values.map { x in Float(0.5 * Double(x) * (1 + Foundation.erf(Double(x) / 2.0.squareRoot()))) }
    }
}

extension NaiveKernels {
    public static func layerNorm(_ x: Tensor, weight: Tensor, bias: Tensor, epsilon: Float) -> Tensor {
        let c = weight.count
        var out = x.data
        for r in 0..<(x.count / c) {
            let row = (0..<c).map { Double(x.data[r * c + $0]) }
            let mean = row.reduce(0, +) / Double(c)
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(c)
            for i in 0..<c {
                out[r * c + i] = Float((row[i] - mean) / (variance + Double(epsilon)).squareRoot() * Double(weight.data[i])
                                       + Double(bias.data[i]))
            }
        }
        return Tensor(shape: x.shape, data: out)
    }

    public static func softmax(_ values: [Float], width: Int) -> [Float] {
        var out = values
        for r in 0..<(values.count / width) {
            let row = (0..<width).map { Double(values[r * width + $0]) }
            let top = row.max()!
            let e = row.map { Foundation.exp($0 - top) }
            let sum = e.reduce(0, +)
            for i in 0..<width { out[r * width + i] = Float(e[i] / sum) }
        }
        return out
    }

    /// Convolution straight from the definition, PyTorch layouts: x [N, Cin, H, W] (NCHW), weight
    /// [Cout, Cin/groups, k, k], zero padding.
    public static func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor?, stride: Int, padding: Int, groups: Int) -> Tensor {
        let (n, cin, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (cout, k) = (weight.shape[0], weight.shape[2])
        let perGroupIn = cin / groups, perGroupOut = cout / groups
        let oh = (h + 2 * padding - k) / stride + 1, ow = (w + 2 * padding - k) / stride + 1
        var out = [Float](repeating: 0, count: n * cout * oh * ow)
        for image in 0..<n { for o in 0..<cout {
            let group = o / perGroupOut
            for oy in 0..<oh { for ox in 0..<ow {
                var sum = Double(bias?.data[o] ?? 0)
                for i in 0..<perGroupIn { for ky in 0..<k { for kx in 0..<k {
                    let iy = oy * stride - padding + ky, ix = ox * stride - padding + kx
                    guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                    let c = group * perGroupIn + i
                    sum += Double(x.data[((image * cin + c) * h + iy) * w + ix]) * Double(weight.data[((o * perGroupIn + i) * k + ky) * k + kx])
                } } }
                out[((image * cout + o) * oh + oy) * ow + ox] = Float(sum)
            } }
        } }
        return Tensor(shape: [n, cout, oh, ow], data: out)
    }

    /// ConvTranspose2d from the definition: x [N, Cin, H, W], weight [Cin, Cout, k, k].
    public static func convTranspose2d(_ x: Tensor, weight: Tensor, bias: Tensor, stride: Int) -> Tensor {
        let (n, cin, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (cout, k) = (weight.shape[1], weight.shape[2])
        let oh = (h - 1) * stride + k, ow = (w - 1) * stride + k
        var out = [Double](repeating: 0, count: n * cout * oh * ow)
        for image in 0..<n { for o in 0..<cout { for y in 0..<oh { for xx in 0..<ow {
            out[((image * cout + o) * oh + y) * ow + xx] = Double(bias.data[o])
        } } } }
        for image in 0..<n { for i in 0..<cin { for y in 0..<h { for xx in 0..<w { for o in 0..<cout { for ky in 0..<k { for kx in 0..<k {
            out[((image * cout + o) * oh + y * stride + ky) * ow + xx * stride + kx] +=
                Double(x.data[((image * cin + i) * h + y) * w + xx]) * Double(weight.data[((i * cout + o) * k + ky) * k + kx])
        } } } } } } }
        return Tensor(shape: [n, cout, oh, ow], data: out.map(Float.init))
    }

    /// NHWC -> NCHW.
    public static func channelsFirst(_ x: Tensor) -> Tensor {
        let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        var out = [Float](repeating: 0, count: x.count)
        for i in 0..<n { for ch in 0..<c { for y in 0..<h { for xx in 0..<w {
            out[((i * c + ch) * h + y) * w + xx] = x.data[((i * h + y) * w + xx) * c + ch]
        } } } }
        return Tensor(shape: [n, c, h, w], data: out)
    }

    /// NCHW -> NHWC.
    public static func channelsLast(_ x: Tensor) -> Tensor {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        var out = [Float](repeating: 0, count: x.count)
        for i in 0..<n { for ch in 0..<c { for y in 0..<h { for xx in 0..<w {
            out[((i * h + y) * w + xx) * c + ch] = x.data[((i * c + ch) * h + y) * w + xx]
        } } } }
        return Tensor(shape: [n, h, w, c], data: out)
    }
}

extension NaiveKernels {
    /// Attention for one (group, head): q [lq, d], k [lk, d], v [lk, dv], bias [lq, lk] or nil.
    public static func attention(q: [Float], k: [Float], v: [Float], lq: Int, lk: Int, d: Int, dv: Int, scale: Float,
                                 bias: [Float]?) -> [Float] {
        var out = [Float](repeating: 0, count: lq * dv)
        for i in 0..<lq {
            var scores = (0..<lk).map { j -> Double in
                var s = 0.0
                for c in 0..<d { s += Double(q[i * d + c]) * Double(k[j * d + c]) }
                return s * Double(scale) + Double(bias?[i * lk + j] ?? 0)
            }
            let top = scores.max()!
            scores = scores.map { Foundation.exp($0 - top) }
            let sum = scores.reduce(0, +)
            for c in 0..<dv {
                var acc = 0.0
                for j in 0..<lk { acc += scores[j] / sum * Double(v[j * dv + c]) }
                out[i * dv + c] = Float(acc)
            }
        }
        return out
    }
}
