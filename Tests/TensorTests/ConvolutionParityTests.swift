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
    /// 1x1 expand, GELU, 3x3 depthwise (stride, padding 1), GELU, 1x1 project, each from NaiveKernels (channels-last
    /// rows for the 1x1 products, PyTorch's NCHW definition for the depthwise convolution).
    static func naiveInvertedResidual(_ x: Tensor, expand e: Tensor, _ eb: Tensor, depthwise d: Tensor, _ db: Tensor,
                                      project p: Tensor, _ pb: Tensor, stride: Int) -> Tensor {
        let (h, w, hidden) = (x.shape[0], x.shape[1], e.shape[0])
        let expanded = NaiveKernels.gelu(NaiveKernels.linear(x.reshaped([h * w, x.shape[2]]), weight: e, bias: eb).data)
        let nchw = NaiveKernels.channelsFirst(Tensor(shape: [1, h, w, hidden], data: expanded))
        let filtered = NaiveKernels.channelsLast(NaiveKernels.conv2d(nchw, weight: d, bias: db, stride: stride, padding: 1, groups: hidden))
        let (oh, ow) = (filtered.shape[1], filtered.shape[2])
        let activated = Tensor(shape: [oh * ow, hidden], data: NaiveKernels.gelu(filtered.data))
        return NaiveKernels.linear(activated, weight: p, bias: pb).reshaped([oh, ow, p.shape[0]])
    }

    @Test(arguments: [(9, 16, 8, 32), (20, 7, 16, 64), (1, 5, 8, 32), (41, 6, 8, 32)])
    func fusedInvertedResidualMatchesTheNaiveComposition(h: Int, w: Int, c: Int, hidden: Int) {
        var g = G(state: UInt64(h * 31 + w))
        let x = Self.random([h, w, c], &g)
        let e = Self.random([hidden, c], &g), eb = Self.random([hidden], &g)
        let d = Self.random([hidden, 1, 3, 3], &g), db = Self.random([hidden], &g)
        let p = Self.random([c, hidden], &g), pb = Self.random([c], &g)
        let projected = Self.naiveInvertedResidual(x, expand: e, eb, depthwise: d, db, project: p, pb, stride: 1)
        let expected = NaiveKernels.gelu(zip(projected.data, x.data).map { $0 + $1 })
        for set in KernelSets.all {
            let fused = KernelSets.table(set).invertedResidual(x, KernelSets.pack(e, set), eb, Convolution.depthwiseWeight(d), db,
                                                                   KernelSets.pack(p, set), pb, 1, true)
            #expect(fused.maxAbsDifference(Tensor(shape: [h, w, c], data: expected)) < 1e-4, "\(set)")
        }
    }

    /// TinyViT's patch merging through the same fused kernel: stride 2 (odd and even sizes) and 1, no residual,
    /// more output channels than input.
    @Test(arguments: [(17, 10, 2), (40, 9, 2), (12, 12, 1)])
    func fusedPatchMergingMatchesTheNaiveComposition(h: Int, w: Int, stride: Int) {
        var g = G(state: UInt64(h * 7 + w + stride))
        let (c, hidden) = (8, 24)
        let x = Self.random([h, w, c], &g)
        let e = Self.random([hidden, c], &g), eb = Self.random([hidden], &g)
        let d = Self.random([hidden, 1, 3, 3], &g), db = Self.random([hidden], &g)
        let p = Self.random([hidden, hidden], &g), pb = Self.random([hidden], &g)
        let expected = Self.naiveInvertedResidual(x, expand: e, eb, depthwise: d, db, project: p, pb, stride: stride)
        for set in KernelSets.all {
            let fused = KernelSets.table(set).invertedResidual(x, KernelSets.pack(e, set), eb, Convolution.depthwiseWeight(d), db,
                                                                   KernelSets.pack(p, set), pb, stride, false)
            #expect(fused.shape == expected.shape)
            #expect(fused.maxAbsDifference(expected) < 1e-4, "\(set)")
        }
    }

    @Test(arguments: [1, 37, 300])
    func fusedResidualMLPMatchesTheNaiveComposition(rows: Int) {
        var g = G(state: UInt64(rows))
        let (c, hidden) = (16, 64)
        let x = Self.random([rows, c], &g), nw = Self.random([c], &g), nb = Self.random([c], &g)
        let w1 = Self.random([hidden, c], &g), b1 = Self.random([hidden], &g)
        let w2 = Self.random([c, hidden], &g), b2 = Self.random([c], &g)
        let h = NaiveKernels.linear(NaiveKernels.layerNorm(x, weight: nw, bias: nb, epsilon: 1e-5), weight: w1, bias: b1)
        let out = NaiveKernels.linear(Tensor(shape: [rows, hidden], data: NaiveKernels.gelu(h.data)), weight: w2, bias: b2)
        let expected = Tensor(shape: [rows, c], data: zip(out.data, x.data).map { $0 + $1 })
        for set in KernelSets.all {
            let fused = KernelSets.table(set).residualMLP(x, nw, nb, 1e-5, KernelSets.pack(w1, set), b1, KernelSets.pack(w2, set), b2)
            #expect(fused.maxAbsDifference(expected) < 1e-4, "\(set)")
        }
    }

    /// The decoder's first upscaling: transposed 2x2 conv with LayerNorm and GELU applied to each output row in
    /// the kernel's epilogue, against the definition followed by NaiveKernels' norm and GELU.
    @Test func transposedConvolutionWithNormAndGELUEpilogue() {
        var g = G(state: 17)
        let x = Self.random([1, 16, 3, 5], &g), w = Self.random([16, 8, 2, 2], &g), b = Self.random([8], &g)
        let nw = Self.random([8], &g), nb = Self.random([8], &g)
        let upscaled = NaiveKernels.channelsLast(NaiveKernels.convTranspose2d(x, weight: w, bias: b, stride: 2))
        let normed = NaiveKernels.layerNorm(upscaled.reshaped([6 * 10, 8]), weight: nw, bias: nb, epsilon: 1e-6)
        let expected = Tensor(shape: [1, 6, 10, 8], data: NaiveKernels.gelu(normed.data))
        let fused = Convolution.transposed2x2(NaiveKernels.channelsLast(x), weight: Convolution.transposed2x2Weight(w), bias: b) {
            row, pixels in
            LayerNorm.inPlace(row, rows: pixels, weight: nw, bias: nb, epsilon: 1e-6)
            Elementwise.geluRange(row, 0..<(pixels * 8))
        }
        #expect(fused.maxAbsDifference(expected) < 1e-4)
    }
}
