import Foundation
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

    @Test(arguments: [(1, 9), (2, 9), (1, 16), (2, 17)])
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
        let x = Self.random([1, 12, 4, 5], &g), w = Self.random([12, 7, 2, 2], &g), b = Self.random([7], &g)
        let slow = NaiveKernels.channelsLast(NaiveKernels.convTranspose2d(x, weight: w, bias: b, stride: 2))
        let fast = Convolution.transposed2x2(NaiveKernels.channelsLast(x), weight: w, bias: b)
        #expect(fast.shape == [1, 8, 10, 7])
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
}
