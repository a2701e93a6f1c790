import Foundation
import Testing
@testable import Tensor

/// Every fast kernel against its naive reference on random inputs.
@Suite struct KernelParityTests {
    struct Generator: RandomNumberGenerator {
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
