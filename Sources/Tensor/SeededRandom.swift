import Foundation

/// SplitMix64: a small deterministic generator, so phantoms, derived prompts and training runs are reproducible on
/// every platform.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }

    /// A generator for one (label, slice) pair of a run, independent of the order the pairs are visited in.
    public init(seed: UInt64, label: Int, slice: Int) {
        var mixer = SeededRandom(seed: seed)
        let a = mixer.next() ^ UInt64(truncatingIfNeeded: label &* 0x2545_F491)
        var second = SeededRandom(seed: a)
        self.init(seed: second.next() ^ UInt64(truncatingIfNeeded: slice &* 0x9E37_79B1))
    }

    public mutating func next() -> UInt64 {
        state = state &+ 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in (0, 1).
    public mutating func uniform() -> Double { (Double(next() >> 11) + 0.5) / 9_007_199_254_740_992.0 }

    /// Uniform integer in 0..<n (n >= 1).
    public mutating func below(_ n: Int) -> Int { min(n - 1, Int(uniform() * Double(n))) }

    public mutating func gaussian() -> Double {
        let u = uniform(), v = uniform()
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
    }
}
