import Foundation

/// The decoder's 2x2 stride-2 transposed convolution (torch.nn.ConvTranspose2d(kernel 2, stride 2)) on channels-last
/// images, with its reverse-mode pass. An image [H, W, C] is a Matrix of H*W rows; each of the four taps is a
/// product of the input rows with W[:, :, ky, kx].
public enum TransposedConvOp {
    /// weight in PyTorch's layout [Cin, Cout, 2, 2]: the tap's [Cin, Cout] matrix.
    @inlinable
    static func tap<S>(_ weight: [S], cin: Int, cout: Int, _ t: Int) -> Matrix<S> {
        var m = Matrix<S>(zeros: cin, cout)
        for i in 0..<cin { for o in 0..<cout { m.values[i * cout + o] = weight[(i * cout + o) * 4 + t] } }
        return m
    }

    /// x [h * w, cin] -> [2h * 2w, cout].
    @inlinable
    public static func forward<S>(_ x: Matrix<S>, height h: Int, width w: Int, weight: [S], bias: [S]) -> Matrix<S> {
        let (cin, cout) = (x.columns, bias.count)
        precondition(x.rows == h * w && weight.count == cin * cout * 4)
        var y = Matrix<S>(zeros: 4 * h * w, cout)
        for t in 0..<4 {
            let part = x.multiplied(by: tap(weight, cin: cin, cout: cout, t))
            let (ky, kx) = (t / 2, t % 2)
            for i in 0..<h {
                for j in 0..<w {
                    let row = (2 * i + ky) * 2 * w + 2 * j + kx
                    for o in 0..<cout { y.values[row * cout + o] = part.values[(i * w + j) * cout + o] + bias[o] }
                }
            }
        }
        return y
    }

    /// dx = sum over taps of dY_t W_t^T; dW_t = X^T dY_t; db = sum of dy.
    @inlinable
    public static func backward<S>(_ dy: Matrix<S>, x: Matrix<S>, height h: Int, width w: Int, weight: [S])
        -> (dx: Matrix<S>, dWeight: [S], dBias: [S]) {
        let (cin, cout) = (x.columns, dy.columns)
        var dx = Matrix<S>(zeros: h * w, cin)
        var dWeight = [S](repeating: 0, count: cin * cout * 4)
        for t in 0..<4 {
            let (ky, kx) = (t / 2, t % 2)
            var dyt = Matrix<S>(zeros: h * w, cout)
            for i in 0..<h {
                for j in 0..<w {
                    let row = (2 * i + ky) * 2 * w + 2 * j + kx
                    for o in 0..<cout { dyt.values[(i * w + j) * cout + o] = dy.values[row * cout + o] }
                }
            }
            dx = dx + dyt.multiplied(by: tap(weight, cin: cin, cout: cout, t), transposeOther: true)
            let dw = x.multiplied(by: dyt, transposeSelf: true)
            for i in 0..<cin { for o in 0..<cout { dWeight[(i * cout + o) * 4 + t] = dw.values[i * cout + o] } }
        }
        return (dx, dWeight, dy.columnSums())
    }
}

/// Bilinear resizing with PyTorch's align_corners=False (F.interpolate mode="bilinear") of channels-last images, with
/// its reverse-mode pass (each output's gradient scattered back to its four sources).
public enum BilinearResizeOp {
    /// For each output index: the two source indices and the second one's weight (PyTorch's source index rule).
    @inlinable
    static func taps(input: Int, output: Int) -> [(i0: Int, i1: Int, t: Double)] {
        let scale = Double(input) / Double(output)
        return (0..<output).map { o in
            let source = max(0, (Double(o) + 0.5) * scale - 0.5)
            let i0 = min(Int(source), input - 1)
            return (i0, min(i0 + 1, input - 1), source - Double(i0))
        }
    }

    /// x [h * w, c] -> [oh * ow, c].
    @inlinable
    public static func forward<S>(_ x: Matrix<S>, height h: Int, width w: Int, toHeight oh: Int, width ow: Int) -> Matrix<S> {
        let (ys, xs, c) = (taps(input: h, output: oh), taps(input: w, output: ow), x.columns)
        var y = Matrix<S>(zeros: oh * ow, c)
        for (oy, ty) in ys.enumerated() {
            for (ox, tx) in xs.enumerated() {
                let (wy, wx) = (S(ty.t), S(tx.t))
                for ch in 0..<c {
                    let top = x[ty.i0 * w + tx.i0, ch] * (1 - wx) + x[ty.i0 * w + tx.i1, ch] * wx
                    let bottom = x[ty.i1 * w + tx.i0, ch] * (1 - wx) + x[ty.i1 * w + tx.i1, ch] * wx
                    y[oy * ow + ox, ch] = top * (1 - wy) + bottom * wy
                }
            }
        }
        return y
    }

    @inlinable
    public static func backward<S>(_ dy: Matrix<S>, height h: Int, width w: Int, toHeight oh: Int, width ow: Int) -> Matrix<S> {
        let (ys, xs, c) = (taps(input: h, output: oh), taps(input: w, output: ow), dy.columns)
        var dx = Matrix<S>(zeros: h * w, c)
        for (oy, ty) in ys.enumerated() {
            for (ox, tx) in xs.enumerated() {
                let (wy, wx) = (S(ty.t), S(tx.t))
                for ch in 0..<c {
                    let g = dy[oy * ow + ox, ch]
                    dx[ty.i0 * w + tx.i0, ch] += g * (1 - wy) * (1 - wx)
                    dx[ty.i0 * w + tx.i1, ch] += g * (1 - wy) * wx
                    dx[ty.i1 * w + tx.i0, ch] += g * wy * (1 - wx)
                    dx[ty.i1 * w + tx.i1, ch] += g * wy * wx
                }
            }
        }
        return dx
    }
}

/// The 3x3 neighbourhoods (stride 1, zero padding 1) of an H x W grid: `body(output, tap, input)` for every pixel,
/// tap ky * 3 + kx and the pixel it reads, taps outside the grid skipped.
@inlinable
func forEachNeighbour(height h: Int, width w: Int, _ body: (_ output: Int, _ tap: Int, _ input: Int) -> Void) {
    for oy in 0..<h {
        for ox in 0..<w {
            for t in 0..<9 {
                let (iy, ix) = (oy + t / 3 - 1, ox + t % 3 - 1)
                guard iy >= 0 && iy < h && ix >= 0 && ix < w else { continue }
                body(oy * w + ox, t, iy * w + ix)
            }
        }
    }
}

/// A 3x3 depthwise convolution (stride 1, zero padding 1) on rows = the H x W grid's pixels, columns = channels:
/// weight [channels, 9] (taps row-major), bias [channels]; with the input's gradient.
public enum DepthwiseConvOp {
    @inlinable
    public static func forward<S>(_ x: Matrix<S>, height h: Int, width w: Int, weight: [S], bias: [S]) -> Matrix<S> {
        let c = x.columns
        var y = Matrix<S>(rows: h * w, columns: c, values: (0..<(h * w)).flatMap { _ in bias })
        forEachNeighbour(height: h, width: w) { o, t, i in
            for ch in 0..<c { y.values[o * c + ch] += weight[ch * 9 + t] * x.values[i * c + ch] }
        }
        return y
    }

    /// dx: each output's gradient spread back over the inputs its taps read.
    @inlinable
    public static func backward<S>(_ dy: Matrix<S>, height h: Int, width w: Int, weight: [S]) -> Matrix<S> {
        let c = dy.columns
        var dx = Matrix<S>(zeros: h * w, c)
        forEachNeighbour(height: h, width: w) { o, t, i in
            for ch in 0..<c { dx.values[i * c + ch] += weight[ch * 9 + t] * dy.values[o * c + ch] }
        }
        return dx
    }
}

/// A dense 3x3 convolution without bias (stride 1, zero padding 1) on rows = the H x W grid's pixels, columns =
/// channels, as im2col and one matrix product: weight [out, 9 * in] with column (ky * 3 + kx) * in + c holding
/// PyTorch's w[o, c, ky, kx] (`weight(fromPyTorch:)`); with the input's gradient.
public enum Conv3x3Op {
    @inlinable
    public static func weight<S>(fromPyTorch w: [S], outputs: Int, inputs: Int) -> Matrix<S> {
        var m = Matrix<S>(zeros: outputs, 9 * inputs)
        for o in 0..<outputs { for c in 0..<inputs { for t in 0..<9 { m.values[o * 9 * inputs + t * inputs + c] = w[(o * inputs + c) * 9 + t] } } }
        return m
    }

    /// [H * W, 9 * in]: row p holds the 3x3 neighbourhood of pixel p (zeros outside), tap-major.
    @inlinable
    public static func columns<S>(_ x: Matrix<S>, height h: Int, width w: Int) -> Matrix<S> {
        let c = x.columns
        var out = Matrix<S>(zeros: h * w, 9 * c)
        forEachNeighbour(height: h, width: w) { o, t, i in
            for ch in 0..<c { out.values[o * 9 * c + t * c + ch] = x.values[i * c + ch] }
        }
        return out
    }

    @inlinable
    public static func forward<S>(_ x: Matrix<S>, height h: Int, width w: Int, weight: Matrix<S>) -> Matrix<S> {
        columns(x, height: h, width: w).multiplied(by: weight, transposeOther: true)
    }

    /// dx: im2col's transpose applied to dy W (each column entry added back to the pixel it was read from).
    @inlinable
    public static func backward<S>(_ dy: Matrix<S>, height h: Int, width w: Int, weight: Matrix<S>) -> Matrix<S> {
        let dColumns = dy.multiplied(by: weight), c = weight.columns / 9
        var dx = Matrix<S>(zeros: h * w, c)
        forEachNeighbour(height: h, width: w) { o, t, i in
            for ch in 0..<c { dx.values[i * c + ch] += dColumns.values[o * 9 * c + t * c + ch] }
        }
        return dx
    }
}
