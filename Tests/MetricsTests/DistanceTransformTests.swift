import Foundation
import Testing
@testable import Metrics

/// The separable exact EDT against brute force, and surfaces against their definition.
@Suite struct DistanceTransformTests {
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

    @Test(arguments: 0..<40)
    func matchesBruteForce(seed: Int) {
        var g = Generator(state: UInt64(seed))
        let size = [Int.random(in: 1...13, using: &g), Int.random(in: 1...11, using: &g), Int.random(in: 1...9, using: &g)]
        let spacing = (0..<3).map { _ in Double.random(in: 0.3...3.0, using: &g) }
        let density = Double.random(in: 0.001...0.3, using: &g)
        let sites = (0..<size.reduce(1, *)).filter { _ in Double.random(in: 0...1, using: &g) < density }
        let fast = DistanceTransform.squaredDistances(size: size, spacing: spacing, sites: sites)
        let slow = DistanceTransform.bruteForceSquaredDistances(size: size, spacing: spacing, sites: sites)
        for (f, s) in zip(fast, slow) {
            #expect(f == s || abs(f - s) <= 1e-9 * max(1, s), "\(size) \(spacing): \(f) vs \(s)")
        }
    }

    @Test func surfaceOfASolidBoxIsItsShell() {
        let box = GridBox(lower: [0, 0, 0], upper: [5, 5, 5])
        let mask = CroppedMask(gridShape: [9, 9, 9], box: box, bits: [Bool](repeating: true, count: 125))
        #expect(Surface.voxels(of: mask).count == 125 - 27)
        #expect(Surface.voxels(of: mask, planar: true).count == 5 * 16)
    }
}

extension DistanceTransformTests {
    @Test(arguments: 0..<20)
    func queriesMatchTheFullField(seed: Int) {
        var g = Generator(state: UInt64(1000 + seed))
        let size = [Int.random(in: 1...12, using: &g), Int.random(in: 1...10, using: &g), Int.random(in: 1...9, using: &g)]
        let spacing = (0..<3).map { _ in Double.random(in: 0.3...3.0, using: &g) }
        let count = size.reduce(1, *)
        let sites = (0..<count).filter { _ in Double.random(in: 0...1, using: &g) < 0.05 }
        let queries = (0..<count).filter { _ in Double.random(in: 0...1, using: &g) < 0.3 }.shuffled(using: &g)
        let full = DistanceTransform.squaredDistances(size: size, spacing: spacing, sites: sites)
        let sparse = DistanceTransform.squaredDistances(size: size, spacing: spacing, sites: sites, at: queries)
        #expect(sparse == queries.map { full[$0] })
    }
}
