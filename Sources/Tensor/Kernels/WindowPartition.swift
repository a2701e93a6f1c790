/// TinyViT's window partition of a channels-last image [H, W, C] (zero-padded at the bottom/right to whole
/// windows of side `window`) into tokens [windows * window^2, C], window-major, and back. The gather applies the
/// attention's LayerNorm on the way (a padded token, all zeros, normalizes to the bias), and the scatter adds
/// the residual, so neither costs a pass of its own. Rows run in parallel.
public enum WindowPartition {
    /// The window grid of an h x w image: windows down, windows across.
    public static func grid(h: Int, w: Int, window: Int) -> (down: Int, across: Int) {
        ((h + window - 1) / window, (w + window - 1) / window)
    }

    /// LayerNorm(pad(x)) in window order: `x` [H, W, C] -> [windows * window^2, C].
    public static func gatherNormalized(_ x: Tensor, window: Int, weight: Tensor, bias: Tensor, epsilon: Float) -> Tensor {
        let (h, w, c) = (x.shape[0], x.shape[1], x.shape[2])
        let (down, across) = grid(h: h, w: w, window: window), n = window * window
        var tokens = Tensor.uninitialized([down * across * n, c])
        x.data.withUnsafeBufferPointer { xp in weight.data.withUnsafeBufferPointer { wp in bias.data.withUnsafeBufferPointer { bp in
            tokens.data.withUnsafeMutableBufferPointer { tp in
                let (src, dst) = (UncheckedPointer(UnsafeMutablePointer(mutating: xp.baseAddress!)), UncheckedPointer(tp.baseAddress!))
                let (gamma, beta) = (UncheckedPointer(UnsafeMutablePointer(mutating: wp.baseAddress!)),
                                     UncheckedPointer(UnsafeMutablePointer(mutating: bp.baseAddress!)))
                ParallelLoop.forRanges(count: down * window) { rows in
                    for y in rows {
                        for column in 0..<(across * window) {
                            let token = dst.pointer + target(y, column, window: window, across: across) * c
                            if y < h && column < w {
                                LayerNorm.row(src.pointer + (y * w + column) * c, into: token, c, gamma.pointer, beta.pointer, epsilon)
                            } else {
                                token.update(from: beta.pointer, count: c)
                            }
                        }
                    }
                }
            }
        } } }
        return tokens
    }

    /// `residual` [H, W, C] + the image positions of `tokens` [windows * window^2, C] (padding dropped).
    public static func scatterAdding(_ tokens: Tensor, to residual: Tensor, window: Int) -> Tensor {
        let (h, w, c) = (residual.shape[0], residual.shape[1], residual.shape[2])
        let across = grid(h: h, w: w, window: window).across
        var out = Tensor.uninitialized(residual.shape)
        tokens.data.withUnsafeBufferPointer { tp in residual.data.withUnsafeBufferPointer { rp in
            out.data.withUnsafeMutableBufferPointer { op in
                let (src, base, dst) = (UncheckedPointer(UnsafeMutablePointer(mutating: tp.baseAddress!)),
                                        UncheckedPointer(UnsafeMutablePointer(mutating: rp.baseAddress!)), UncheckedPointer(op.baseAddress!))
                ParallelLoop.forRanges(count: h) { rows in
                    for y in rows {
                        for column in 0..<w {
                            let from = src.pointer + target(y, column, window: window, across: across) * c
                            let (r, o) = (base.pointer + (y * w + column) * c, dst.pointer + (y * w + column) * c)
                            var i = 0
                            while i + 8 <= c { Convolution.store(Convolution.load(r + i) + Convolution.load(from + i), o + i); i += 8 }
                            while i < c { o[i] = r[i] + from[i]; i += 1 }
                        }
                    }
                }
            }
        } }
        return out
    }

    /// The token index of padded-image position (y, x).
    @inline(__always)
    static func target(_ y: Int, _ x: Int, window: Int, across: Int) -> Int {
        ((y / window) * across + x / window) * window * window + (y % window) * window + x % window
    }
}
