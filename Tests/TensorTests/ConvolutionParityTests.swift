import Foundation
import Synchronization
import Testing
@testable import Tensor

/// Convolutions, normalization and softmax against their definitions.
@Suite struct ConvolutionParityTests {
    typealias G = KernelParityTests.Generator

    static func random(_ shape: [Int], _ g: inout G) -> Tensor { KernelParityTests.random(shape, &g) }

    @Test(arguments: [(3, 1, 1, 0), (3, 1, 1, 1), (3, 2, 1, 1), (1, 1, 0, 1), (3, 1, 1, 5)])
    func convolutionMatchesTheDefinition(k: Int, stride: Int, padding: Int, seed: Int) {
        var g = G(state: UInt64(seed))
        let x = Self.random([2, 5, 9, 7], &g), w = Self.random([6, 5, k, k], &g), b = Self.random([6], &g)
        let slow = NaiveKernels.channelsLast(NaiveKernels.conv2d(x, weight: w, bias: b, stride: stride, padding: padding, groups: 1))
        let fast = Convolution.forward(NaiveKernels.channelsLast(x), weight: Convolution.channelsLastWeight(w), bias: b,
                                       stride: stride, padding: padding)
        #expect(fast.shape == slow.shape)
        #expect(fast.maxAbsDifference(slow) < 1e-5)
    }

    @Test(arguments: [(1, 9), (2, 9), (1, 16), (2, 17), (1, 45), (2, 77)])
    func depthwiseMatchesTheDefinition(stride: Int, channels: Int) {
        var g = G(state: UInt64(stride * 100 + channels))
        let x = Self.random([2, channels, 11, 8], &g), w = Self.random([channels, 1, 3, 3], &g), b = Self.random([channels], &g)
        let slow = NaiveKernels.channelsLast(NaiveKernels.conv2d(x, weight: w, bias: b, stride: stride, padding: 1, groups: channels))
        let fast = Convolution.depthwise(NaiveKernels.channelsLast(x), weight: Convolution.depthwiseWeight(w), bias: b,
                                         stride: stride, padding: 1)
        #expect(fast.shape == slow.shape)
        #expect(fast.maxAbsDifference(slow) < 1e-5)
    }

    @Test func transposedConvolutionMatchesTheDefinition() {
        var g = G(state: 9)
        let x = Self.random([2, 12, 4, 5], &g), w = Self.random([12, 7, 2, 2], &g), b = Self.random([7], &g)
        let slow = NaiveKernels.channelsLast(NaiveKernels.convTranspose2d(x, weight: w, bias: b, stride: 2))
        let fast = Convolution.transposed2x2(NaiveKernels.channelsLast(x), weight: Convolution.transposed2x2Weight(w), bias: b)
        #expect(fast.shape == [2, 8, 10, 7])
        #expect(fast.maxAbsDifference(slow) < 1e-5)

    }

    @Test(arguments: [7, 64, 256, 320])
    func layerNormMatchesNaive(channels: Int) {
        var g = G(state: UInt64(channels))
        let x = Self.random([37, channels], &g), w = Self.random([channels], &g), b = Self.random([channels], &g)
        for epsilon: Float in [1e-5, 1e-6] {
            let fast = LayerNorm.forward(x, weight: w, bias: b, epsilon: epsilon)
            #expect(fast.maxAbsDifference(NaiveKernels.layerNorm(x, weight: w, bias: b, epsilon: epsilon)) < 2e-5)
        }
    }

    @Test(arguments: [1, 5, 49, 196, 4096])
    func softmaxMatchesNaive(width: Int) {
        var g = G(state: UInt64(width))
        var values = (0..<(width * 3)).map { _ in Float.random(in: -20...20, using: &g) }
        let expected = NaiveKernels.softmax(values, width: width)
        Softmax.rows(&values, width: width)
        for (a, b) in zip(values, expected) { #expect(abs(a - b) <= 1e-6 * max(1, b) + 1e-8) }
    }

    /// Interleaved groups (value i of group g at i * 8 + g) against the naive softmax of each group gathered.
    @Test(arguments: [1, 2, 7, 9])
    func interleavedSoftmaxMatchesNaive(length: Int) {
        var g = G(state: UInt64(100 + length))
        let rows = 600
        var values = (0..<(rows * 8 * length)).map { _ in Float.random(in: -30...30, using: &g) }
        var gathered: [Float] = []
        for r in 0..<rows { for group in 0..<8 { for i in 0..<length { gathered.append(values[r * 8 * length + i * 8 + group]) } } }
        let expected = NaiveKernels.softmax(gathered, width: length)
        Softmax.interleaved8(&values, length: length)
        for r in 0..<rows { for group in 0..<8 { for i in 0..<length {
            let (a, b) = (values[r * 8 * length + i * 8 + group], expected[(r * 8 + group) * length + i])
            #expect(abs(a - b) <= 1e-6 * max(1, b) + 1e-8)
        } } }
    }
}

extension ConvolutionParityTests {
    @Test(arguments: [(9, 16, 8, 32), (20, 7, 16, 64), (1, 5, 8, 32), (41, 6, 8, 32)])
    func fusedInvertedResidualMatchesTheComposition(h: Int, w: Int, c: Int, hidden: Int) {
        var g = G(state: UInt64(h * 31 + w))
        let x = Self.random([h, w, c], &g)
        let e = Self.random([hidden, c], &g), eb = Self.random([hidden], &g)
        let d = Self.random([3, 3, hidden], &g), db = Self.random([hidden], &g)
        let p = Self.random([c, hidden], &g), pb = Self.random([c], &g)
        var expanded = Linear.forward(x, weight: e, bias: eb)
        Elementwise.gelu(&expanded.data)
        var filtered = Convolution.depthwise(expanded.reshaped([1, h, w, hidden]), weight: d, bias: db, stride: 1, padding: 1)
        Elementwise.gelu(&filtered.data)
        var expected = Linear.forward(filtered.reshaped([h * w, hidden]), weight: p, bias: pb)
        for i in expected.data.indices { expected.data[i] += x.data[i] }
        Elementwise.gelu(&expected.data)
        let fused = InvertedResidual.forward(x, expand: e, expandBias: eb, depthwise: d, depthwiseBias: db, project: p,
                                             projectBias: pb)
        #expect(fused.maxAbsDifference(expected.reshaped([h, w, c])) < 1e-4)
    }
}

extension ConvolutionParityTests {
    /// TinyViT's patch merging through the same fused kernel: stride 2 (odd and even sizes) and 1, no residual,
    /// more output channels than input.
    @Test(arguments: [(17, 10, 2), (40, 9, 2), (12, 12, 1)])
    func fusedPatchMergingMatchesTheComposition(h: Int, w: Int, stride: Int) {
        var g = G(state: UInt64(h * 7 + w + stride))
        let (c, hidden) = (8, 24)
        let x = Self.random([h, w, c], &g)
        let e = Self.random([hidden, c], &g), eb = Self.random([hidden], &g)
        let d = Self.random([3, 3, hidden], &g), db = Self.random([hidden], &g)
        let p = Self.random([hidden, hidden], &g), pb = Self.random([hidden], &g)
        var expanded = Linear.forward(x, weight: e, bias: eb)
        Elementwise.gelu(&expanded.data)
        var filtered = Convolution.depthwise(expanded.reshaped([1, h, w, hidden]), weight: d, bias: db, stride: stride,
                                             padding: 1)
        Elementwise.gelu(&filtered.data)
        let (oh, ow) = (filtered.shape[1], filtered.shape[2])
        let expected = Linear.forward(filtered.reshaped([oh * ow, hidden]), weight: p, bias: pb)
        let fused = InvertedResidual.forward(x, expand: e, expandBias: eb, depthwise: d, depthwiseBias: db, project: p,
                                             projectBias: pb, stride: stride, residual: false)
        #expect(fused.shape == [oh, ow, hidden])
        #expect(fused.maxAbsDifference(expected.reshaped([oh, ow, hidden])) < 1e-4)
    }
}

extension ConvolutionParityTests {
    @Test(arguments: [1, 37, 300])
    func fusedResidualMLPMatchesTheComposition(rows: Int) {
        var g = G(state: UInt64(rows))
        let (c, hidden) = (16, 64)
        let x = Self.random([rows, c], &g), nw = Self.random([c], &g), nb = Self.random([c], &g)
        let w1 = Self.random([hidden, c], &g), b1 = Self.random([hidden], &g)
        let w2 = Self.random([c, hidden], &g), b2 = Self.random([c], &g)
        var h = Linear.forward(LayerNorm.forward(x, weight: nw, bias: nb, epsilon: 1e-5), weight: w1, bias: b1)
        Elementwise.gelu(&h.data)
        var expected = Linear.forward(h, weight: w2, bias: b2)
        for i in expected.data.indices { expected.data[i] += x.data[i] }
        let fused = ResidualMLP.forward(x, normWeight: nw, normBias: nb, epsilon: 1e-5, fc1: w1, fc1Bias: b1, fc2: w2,
                                        fc2Bias: b2)
        #expect(fused.maxAbsDifference(expected) < 1e-4)
    }
}
