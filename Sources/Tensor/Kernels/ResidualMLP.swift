import Foundation
import Parallelism

/// A transformer MLP with its residual, fused over row tiles: out = x + fc2(GELU(fc1(LayerNorm(x)))), so the
/// normalized rows and the 4x-wide hidden activations stay in the cache. x [rows, C]; fc1 [hidden, C];
/// fc2 [C, hidden].
public enum ResidualMLP {
    public static let tileRows = 256

    /// Runs the AVX-512 kernels when they are installed.
    public static func forward(_ x: Tensor, normWeight: Tensor, normBias: Tensor, epsilon: Float, fc1: Tensor,
                               fc1Bias: Tensor, fc2: Tensor, fc2Bias: Tensor) -> Tensor {
        EngineKernels.table.residualMLP(x, normWeight, normBias, epsilon, fc1, fc1Bias, fc2, fc2Bias)
    }
}

/// ResidualMLP.forward for any lane width.
public enum ResidualMLPKernel<V: FloatLanes> {
    @inlinable
    public static func forward(_ x: Tensor, normWeight: Tensor, normBias: Tensor, epsilon: Float, fc1: Tensor,
                               fc1Bias: Tensor, fc2: Tensor, fc2Bias: Tensor) -> Tensor {
        let tileRows = ResidualMLP.tileRows
        let c = x.shape.last!, rows = x.count / c, hidden = fc1.shape[0]
        FlopCounter.add(4 * rows * c * hidden)
        var out = Tensor.uninitialized(x.shape)
        let tiles = (rows + tileRows - 1) / tileRows
        x.data.withUnsafeBufferPointer { np in out.data.withUnsafeMutableBufferPointer { op in
        normWeight.data.withUnsafeBufferPointer { nw in normBias.data.withUnsafeBufferPointer { nb in
        fc1.data.withUnsafeBufferPointer { w1 in fc1Bias.data.withUnsafeBufferPointer { b1 in
        fc2.data.withUnsafeBufferPointer { w2 in fc2Bias.data.withUnsafeBufferPointer { b2 in
            let p = (UncheckedPointer(UnsafeMutablePointer(mutating: np.baseAddress!)), UncheckedPointer(op.baseAddress!),
                     UncheckedPointer(UnsafeMutablePointer(mutating: w1.baseAddress!)),
                     UncheckedPointer(UnsafeMutablePointer(mutating: b1.baseAddress!)),
                     UncheckedPointer(UnsafeMutablePointer(mutating: w2.baseAddress!)),
                     UncheckedPointer(UnsafeMutablePointer(mutating: b2.baseAddress!)))
            let (gamma, beta) = (UncheckedPointer(UnsafeMutablePointer(mutating: nw.baseAddress!)),
                                 UncheckedPointer(UnsafeMutablePointer(mutating: nb.baseAddress!)))
            ParallelLoop.forRanges(count: tiles, minimumChunk: 1) { range in
                let (input, output, w1, b1, w2, b2) = p
                let hiddenTile = UnsafeMutablePointer<Float>.allocate(capacity: tileRows * (hidden + c))
                defer { hiddenTile.deallocate() }
                let normTile = hiddenTile + tileRows * hidden
                for tile in range {
                    let first = tile * tileRows, count = min(tileRows, rows - first)
                    let source = input.pointer + first * c, target = output.pointer + first * c
                    for r in 0..<count {
                        LayerNormKernel<V>.row(source + r * c, into: normTile + r * c, c, gamma.pointer, beta.pointer, epsilon)
                        (hiddenTile + r * hidden).update(from: b1.pointer, count: hidden)
                    }
                    GEMM.multiply(normTile, w1.pointer, into: hiddenTile, m: count, n: hidden, k: c,
                                  transposeB: true, beta: 1, parallel: false)
                    VectorMath<V>.geluRange(hiddenTile, 0..<(count * hidden))
                    for r in 0..<count {  // the residual and fc2's bias, then fc2 adds onto them
                        var ch = 0
                        while ch + V.scalarCount <= c {
                            (V.load(source + r * c + ch) + V.load(b2.pointer + ch)).store(target + r * c + ch)
                            ch += V.scalarCount
                        }
                        while ch < c { target[r * c + ch] = source[r * c + ch] + b2.pointer[ch]; ch += 1 }
                    }
                    GEMM.multiply(hiddenTile, w2.pointer, into: target, m: count, n: c, k: hidden, transposeB: true,
                                  beta: 1, parallel: false)
                }
            }
        } } } } } } } }
        return out
    }
}
