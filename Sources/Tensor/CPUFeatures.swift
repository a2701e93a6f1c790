import CSIMD
import Foundation

/// What this CPU's vector units can do (cpuid, with the OS saving the state): the engine's kernels need AVX2 and
/// FMA; AVX-512 (F, DQ, BW, VL) selects the wider kernels and the BLAS core that uses them.
public enum CPUFeatures {
    /// The vector level of this CPU.
    public enum Level: Int, Comparable, Sendable, CustomStringConvertible {
        case belowAVX2 = 0, avx2 = 1, avx512 = 2

        public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
        public var description: String { ["below AVX2", "AVX2 + FMA", "AVX-512"][rawValue] }
    }

    /// This CPU's level (AVX-512: F, DQ, BW, VL and CD, which code compiled for Skylake-SP may use).
    public static let level: Level = {
        let bits = volsam_cpu_vector_features()
        return bits & 2 != 0 ? .avx512 : bits & 1 != 0 ? .avx2 : .belowAVX2
    }()

    /// The message for a CPU the engine cannot run on (nil when it can).
    public static var unsupportedMessage: String? {
        level >= .avx2 ? nil : "this CPU lacks AVX2 and FMA; VolSAM is built for x86-64 with AVX2 and FMA (Haswell, 2013, or newer)"
    }
}
