import Foundation

/// Which of VolSAM's own kernel sets runs: the AVX2 + FMA ones (8 lanes), compiled for every supported CPU.
public enum EngineKernels: Sendable, CustomStringConvertible {
    case avx2

    /// The set in use on this CPU.
    public static let active: EngineKernels = .avx2

    public var description: String {
        switch self {
        case .avx2: "AVX2 + FMA (8 lanes)"
        }
    }
}
