import Foundation

/// A transformer MLP with its residual, fused over row tiles: out = x + fc2(GELU(fc1(LayerNorm(x)))), so the
/// 4x-wide hidden activations stay in the cache. x [rows, C]; fc1 [hidden, C]; fc2 [C, hidden].
public enum ResidualMLP {
    public static let tileRows = 256

    public static func forward(_ x: Tensor, normWeight: Tensor, normBias: Tensor, epsilon: Float, fc1: Tensor,
                               fc1Bias: Tensor, fc2: Tensor, fc2Bias: Tensor) -> Tensor {
        let c = x.shape.last!, rows = x.count / c, hidden = fc1.shape[0]
        let normalized = LayerNorm.forward(x, weight: normWeight, bias: normBias, epsilon: epsilon)
        FlopCounter.add(4 * rows * c * hidden)
        var out = x.data
        let tiles = (rows + tileRows - 1) / tileRows
        normalized.data.withUnsafeBufferPointer { np in out.withUnsafeMutableBufferPointer { op in
        fc1.data.withUnsafeBufferPointer { w1 in fc1Bias.data.withUnsafeBufferPointer { b1 in
        fc2.data.withUnsafeBufferPointer { w2 in fc2Bias.data.withUnsafeBufferPointer { b2 in
            let p = (UncheckedPointer(UnsafeMutablePointer(mutating: np.baseAddress!)), UncheckedPointer(op.baseAddress!),
                     UncheckedPointer(UnsafeMutablePointer(mutating: w1.baseAddress!)),
                     UncheckedPointer(UnsafeMutablePointer(mutating: b1.baseAddress!)),
                     UncheckedPointer(UnsafeMutablePointer(mutating: w2.baseAddress!)),
                     UncheckedPointer(UnsafeMutablePointer(mutating: b2.baseAddress!)))
            ParallelLoop.forRanges(count: tiles, minimumChunk: 1) { range in
                let (norm, output, w1, b1, w2, b2) = p
                let hiddenTile = UnsafeMutablePointer<Float>.allocate(capacity: tileRows * hidden)
                defer { hiddenTile.deallocate() }
                for tile in range {
                    let first = tile * tileRows, count = min(tileRows, rows - first)
                    for r in 0..<count { (hiddenTile + r * hidden).update(from: b1.pointer, count: hidden) }
                    GEMM.multiply(norm.pointer + first * c, w1.pointer, into: hiddenTile, m: count, n: hidden, k: c,
                                  transposeB: true, beta: 1, parallel: false)
                    Elementwise.geluRange(hiddenTile, 0..<(count * hidden))
                    let target = output.pointer + first * c
                    for r in 0..<count { for ch in 0..<c { target[r * c + ch] += b2.pointer[ch] } }
                    GEMM.multiply(hiddenTile, w2.pointer, into: target, m: count, n: c, k: hidden, transposeB: true,
                                  beta: 1, parallel: false)
                }
            }
        } } } } } }
        return Tensor(shape: x.shape, data: out)
    }
}
