import Foundation
import Parallelism

/// A transformer MLP with its residual, fused over row tiles: out = x + fc2(GELU(fc1(LayerNorm(x)))), so the
/// normalized rows and the 4x-wide hidden activations stay in the cache. x [rows, C]; fc1 and fc2 packed once as
/// fc1^T [C, hidden] and fc2^T [hidden, C] (`SmallGEMM.PackedB(transposing:)`).
public enum ResidualMLP {
    /// Rows per tile: with 96, a tile's hidden rows (1280 wide in the last stage: 480 KB) and fc1's packed weights
    /// (1.6 MB) stay in a core's L2 together; 256-row tiles spilled to L3 (the MLPs took 4 % longer, same runs).
    public static let tileRows = 96

    /// Runs the AVX-512 kernels when they are installed.
    public static func forward(_ x: Tensor, normWeight: Tensor, normBias: Tensor, epsilon: Float, fc1: SmallGEMM.PackedB,
                               fc1Bias: Tensor, fc2: SmallGEMM.PackedB, fc2Bias: Tensor) -> Tensor {
        EngineKernels.table.residualMLP(x, normWeight, normBias, epsilon, fc1, fc1Bias, fc2, fc2Bias)
    }
}

/// ResidualMLP.forward for any lane width.
public enum ResidualMLPKernel<V: FloatLanes> {
    @inlinable
    public static func forward(_ x: Tensor, normWeight: Tensor, normBias: Tensor, epsilon: Float, fc1: SmallGEMM.PackedB,
                               fc1Bias: Tensor, fc2: SmallGEMM.PackedB, fc2Bias: Tensor) -> Tensor {
        let tileRows = ResidualMLP.tileRows
        let c = x.shape.last!, rows = x.count / c, hidden = fc1.n
        precondition(fc1.k == c && fc2.k == hidden && fc2.n == c, "MLP weights for \(c) -> \(hidden) -> \(c) channels")
        FlopCounter.add(4 * rows * c * hidden)
        var out = Tensor.uninitialized(x.shape)
        let tiles = (rows + tileRows - 1) / tileRows
        x.data.withUnsafeBufferPointer { np in out.data.withUnsafeMutableBufferPointer { op in
        normWeight.data.withUnsafeBufferPointer { nw in normBias.data.withUnsafeBufferPointer { nb in
        fc1Bias.data.withUnsafeBufferPointer { b1 in fc2Bias.data.withUnsafeBufferPointer { b2 in
            let p = (UncheckedPointer(UnsafeMutablePointer(mutating: np.baseAddress!)), UncheckedPointer(op.baseAddress!),
                     UncheckedPointer(UnsafeMutablePointer(mutating: b1.baseAddress!)),
                     UncheckedPointer(UnsafeMutablePointer(mutating: b2.baseAddress!)))
            let (gamma, beta) = (UncheckedPointer(UnsafeMutablePointer(mutating: nw.baseAddress!)),
                                 UncheckedPointer(UnsafeMutablePointer(mutating: nb.baseAddress!)))
            ParallelLoop.forRanges(count: tiles, minimumChunk: 1) { range in
                let (input, output, b1, b2) = p
                let hiddenTile = UnsafeMutablePointer<Float>.allocate(capacity: tileRows * (hidden + c))
                defer { hiddenTile.deallocate() }
                let normTile = hiddenTile + tileRows * hidden
                for tile in range {
                    let first = tile * tileRows, count = min(tileRows, rows - first)
                    let source = input.pointer + first * c, target = output.pointer + first * c
                    for r in 0..<count {
                        LayerNormKernel<V>.row(source + r * c, into: normTile + r * c, c, gamma.pointer, beta.pointer, epsilon)
                    }
                    SmallGEMMKernel<V>.multiply(normTile, lda: c, fc1, into: hiddenTile, ldc: hidden, m: count, accumulate: false,
                                                bias: b1.pointer)
                    VectorMath<V>.geluRange(hiddenTile, 0..<(count * hidden))
                    for r in 0..<count {  // the residual and fc2's bias, then fc2 adds onto them
                        var ch = 0
                        while ch + V.scalarCount <= c {
                            (V.load(source + r * c + ch) + V.load(b2.pointer + ch)).store(target + r * c + ch)
                            ch += V.scalarCount
                        }
                        while ch < c { target[r * c + ch] = source[r * c + ch] + b2.pointer[ch]; ch += 1 }
                    }
                    SmallGEMMKernel<V>.multiply(hiddenTile, lda: hidden, fc2, into: target, ldc: c, m: count, accumulate: true)
                }
            }
        } } } } } }
        return out
    }
}
