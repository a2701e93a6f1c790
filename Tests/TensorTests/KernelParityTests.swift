import Foundation
import Testing
@testable import Tensor

/// Every fast kernel against its naive reference on random inputs.
@Suite struct KernelParityTests {
    struct Generator: RandomNumberGenerator, Sendable {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func random(_ shape: [Int], _ g: inout Generator) -> Tensor {
        Tensor(shape: shape, data: (0..<shape.reduce(1, *)).map { _ in Float.random(in: -1...1, using: &g) })
    }

    @Test(arguments: [(1, 1, 1), (7, 5, 3), (64, 33, 129), (300, 256, 64), (2, 2048, 256)])
    func linearMatchesNaive(rows: Int, inFeatures: Int, outFeatures: Int) {
        var g = Generator(state: UInt64(rows * 1000 + inFeatures))
        let x = Self.random([rows, inFeatures], &g)
        let w = Self.random([outFeatures, inFeatures], &g)
        let b = Self.random([outFeatures], &g)
        for bias in [b, nil] as [Tensor?] {
            let fast = Linear.forward(x, weight: w, bias: bias)
            let slow = NaiveKernels.linear(x, weight: w, bias: bias)
            #expect(fast.shape == [rows, outFeatures])
            #expect(fast.maxAbsDifference(slow) <= 1e-5 * Float(inFeatures).squareRoot() * max(1, slow.maxAbs))
        }
    }
}

extension KernelParityTests {
    @Test(arguments: [(1, 256, 32), (7, 256, 2048), (7, 2048, 256), (13, 128, 256), (6, 40, 24)])
    func fewRowLinearMatchesNaive(rows: Int, inFeatures: Int, outFeatures: Int) {
        var g = Generator(state: UInt64(rows * 7919 + outFeatures))
        let x = Self.random([rows, inFeatures], &g)
        let w = Self.random([outFeatures, inFeatures], &g)
        let b = Self.random([outFeatures], &g)
        let packed = SmallGEMM.PackedB(transposing: w)
        for bias in [b, nil] as [Tensor?] {
            let fast = Linear.forward(x, packed: packed, bias: bias)
            let slow = NaiveKernels.linear(x, weight: w, bias: bias)
            #expect(fast.shape == [rows, outFeatures])
            #expect(fast.maxAbsDifference(slow) <= 1e-5 * Float(inFeatures).squareRoot() * max(1, slow.maxAbs))
        }
    }

    @Test func vectorErfAndExpAreFloatAccurate() {
        var worstErf: Float = 0, worstExp: Float = 0
        var x: Float = -10
        while x <= 10 {
            let lanes = SIMD8<Float>((0..<8).map { x + Float($0) * 0.0003 })
            let e = Elementwise.erf(lanes), p = Elementwise.exp(lanes)
            for i in 0..<8 {
                worstErf = max(worstErf, abs(e[i] - Float(Foundation.erf(Double(lanes[i])))))
                let exact = Foundation.exp(Double(lanes[i]))
                worstExp = max(worstExp, Float(abs(Double(p[i]) - exact) / exact))
            }
            x += 0.0024
        }
        #expect(worstErf < 5e-7, "erf max abs error \(worstErf)")
        #expect(worstExp < 3e-7, "exp max rel error \(worstExp)")
        #expect(Elementwise.exp(SIMD8(repeating: -100))[0] < 1e-37)
    }

    @Test func geluMatchesNaive() {
        var g = Generator(state: 42)
        var values = (0..<1003).map { _ in Float.random(in: -8...8, using: &g) } + [0, -0.0, 1e-8, 30, -30]
        let expected = NaiveKernels.gelu(values)
        Elementwise.gelu(&values)
        for (a, b) in zip(values, expected) { #expect(abs(a - b) <= 1e-6 * max(1, abs(b))) }
    }
}

extension KernelParityTests {
    /// Every transpose combination, with shapes that take the row split, the column split and no split.
    @Test(arguments: [(300, 200, 64), (8, 700, 300), (3, 5, 7)])
    func gemmSplitsMatchTheDefinition(m: Int, n: Int, k: Int) {
        var g = Generator(state: UInt64(m * 7 + n))
        let a = Self.random([m * k], &g).data, b = Self.random([k * n], &g).data, start = Self.random([m * n], &g).data
        for (ta, tb) in [(false, false), (false, true), (true, false), (true, true)] {
            var c = start
            a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
                GEMM.multiply(ap.baseAddress!, bp.baseAddress!, into: cp.baseAddress!, m: m, n: n, k: k, transposeA: ta,
                              transposeB: tb, alpha: 0.5, beta: 2)
            } } }
            var worst: Float = 0
            for i in 0..<m {
                for j in 0..<n {
                    var sum: Float = 0
                    for p in 0..<k { sum += (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]) }
                    worst = max(worst, abs(c[i * n + j] - (0.5 * sum + 2 * start[i * n + j])))
                }
            }
            #expect(worst < 1e-4, "transposeA \(ta), transposeB \(tb)")
        }
    }
}

extension KernelParityTests {
    /// Row and column remainders (m not a multiple of 6 or of the AVX-512 set's 12-row blocks; last strips of 8,
    /// 3 and 13 columns, or 16, 19 and 13 for the 32-column strips of the AVX-512 set), strides wider than the
    /// operands; overwrite, accumulate and start from a bias row; on both kernel sets.
    @Test(arguments: [(128, 640, 56), (13, 24, 7), (5, 8, 64), (6, 16, 1), (31, 19, 5), (7, 13, 3), (30, 45, 20), (12, 48, 9),
                      (37, 64, 33), (29, 40, 18)])
    func smallGEMMMatchesTheDefinition(m: Int, n: Int, k: Int) {
        var g = Generator(state: UInt64(m * 31 + n + k))
        let (lda, ldb, ldc) = (k + 3, n + 8, n + 5)
        let a = Self.random([m * lda], &g).data, b = Self.random([k * ldb], &g).data, start = Self.random([m * ldc], &g).data
        let bias = Self.random([n], &g).data
        for set in KernelSets.all {
          for (accumulate, withBias) in [(false, false), (true, false), (false, true)] {
            var c = start
            a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
            bias.withUnsafeBufferPointer { biasp in
                let packed = SmallGEMM.PackedB(bp.baseAddress!, ldb: ldb, k: k, n: n, strip: KernelSets.strip(set))
                KernelSets.table(set).smallGEMM(ap.baseAddress!, lda, packed, cp.baseAddress!, ldc, m, accumulate,
                                                withBias ? biasp.baseAddress! : nil)
            } } } }
            var worst: Float = 0
            for i in 0..<m {
                for j in 0..<ldc {
                    var expected = start[i * ldc + j]
                    if j < n {
                        var sum: Float = 0
                        for p in 0..<k { sum += a[i * lda + p] * b[p * ldb + j] }
                        expected = (accumulate ? expected : withBias ? bias[j] : 0) + sum
                    }
                    worst = max(worst, abs(c[i * ldc + j] - expected))
                }
            }
            #expect(worst < 1e-4, "\(set), accumulate \(accumulate), bias \(withBias)")
          }
        }
    }
}

extension KernelParityTests {
    /// The fused window attention against padding, partitioning, LayerNorm, the qkv product, per-head attention,
    /// the projection and the residual written out one step at a time; sizes that need padding on both sides and
    /// none, head sizes read in place (32) and copied (8), and several chunks of windows per thread.
    @Test(arguments: [(10, 9, 16, 7, 2), (30, 29, 64, 7, 2), (14, 14, 32, 7, 1), (5, 3, 16, 2, 2)])
    func windowAttentionMatchesTheComposition(h: Int, w: Int, c: Int, window: Int, heads: Int) {
        var g = Generator(state: UInt64(h * 100 + w * 10 + c))
        let x = Self.random([h, w, c], &g), n = window * window, hd = c / heads
        let weights = WindowAttention.Weights(
            normWeight: Self.random([c], &g), normBias: Self.random([c], &g), epsilon: 1e-5, qkv: Self.random([3 * c, c], &g),
            qkvBias: Self.random([3 * c], &g), projection: Self.random([c, c], &g), projectionBias: Self.random([c], &g),
            positionBias: Self.random([heads, n, n], &g))
        let (down, across) = ((h + window - 1) / window, (w + window - 1) / window)
        func token(_ y: Int, _ col: Int) -> Int {
            let index: Int = (y / window) * across + col / window
            return index * n + (y % window) * window + col % window
        }
        var padded = [Float](repeating: 0, count: down * across * n * c)
        for y in 0..<h { for col in 0..<w { for ch in 0..<c { padded[token(y, col) * c + ch] = x.data[(y * w + col) * c + ch] } } }
        let normalized = NaiveKernels.layerNorm(Tensor(shape: [down * across * n, c], data: padded), weight: weights.normWeight,
                                                bias: weights.normBias, epsilon: 1e-5)
        let packed = NaiveKernels.linear(normalized, weight: weights.qkv, bias: weights.qkvBias).data
        var attended = [Float](repeating: 0, count: down * across * n * c)
        for window in 0..<(down * across) {
            for head in 0..<heads {
                func part(_ offset: Int) -> [Float] {
                    var rows: [Float] = []
                    for t in 0..<n {
                        let start: Int = (window * n + t) * 3 * c + head * 3 * hd + offset
                        rows += packed[start..<(start + hd)]
                    }
                    return rows
                }
                let bias = Array(weights.positionBias.data[(head * n * n)..<((head + 1) * n * n)])
                let out = NaiveKernels.attention(q: part(0), k: part(hd), v: part(2 * hd), lq: n, lk: n, d: hd, dv: hd,
                                                 scale: 1 / Float(hd).squareRoot(), bias: bias)
                for t in 0..<n { for d in 0..<hd { attended[(window * n + t) * c + head * hd + d] = out[t * hd + d] } }
            }
        }
        let projected = NaiveKernels.linear(Tensor(shape: [down * across * n, c], data: attended), weight: weights.projection,
                                            bias: weights.projectionBias).data
        var expected = x.data
        for y in 0..<h { for col in 0..<w { for ch in 0..<c { expected[(y * w + col) * c + ch] += projected[token(y, col) * c + ch] } } }
        for set in KernelSets.all {
            let packed = WindowAttention.Weights(
                normWeight: weights.normWeight, normBias: weights.normBias, epsilon: 1e-5, qkv: weights.qkv,
                qkvBias: weights.qkvBias, projection: weights.projection, projectionBias: weights.projectionBias,
                positionBias: weights.positionBias, strip: KernelSets.strip(set))
            let fused = KernelSets.table(set).windowAttention(x, window, heads, packed)
            #expect(fused.shape == x.shape)
            let scale = expected.map(abs).max()!
            #expect(fused.maxAbsDifference(Tensor(shape: x.shape, data: expected)) < 1e-5 * scale, "\(set)")
        }
    }
}
