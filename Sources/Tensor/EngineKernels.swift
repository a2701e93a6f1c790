import Foundation

/// Which of VolSAM's own kernel sets runs: the AVX2 + FMA ones (8 lanes, compiled into Tensor for every supported
/// CPU), or the AVX-512 ones (16 lanes, the same generic kernels specialized in the KernelsAVX512 module, which is
/// compiled for AVX-512 and installs them only on a CPU that has it).
public enum EngineKernels: Sendable, CustomStringConvertible {
    case avx2, avx512

    /// The fused encoder kernels that have a wider version, as functions.
    public struct Table: Sendable {
        public var windowAttention: @Sendable (Tensor, Int, Int, WindowAttention.Weights) -> Tensor
        public var invertedResidual: @Sendable (Tensor, SmallGEMM.PackedB, Tensor, Tensor, Tensor, SmallGEMM.PackedB, Tensor, Int,
                                                Bool) -> Tensor
        public var residualMLP: @Sendable (Tensor, Tensor, Tensor, Float, SmallGEMM.PackedB, Tensor, SmallGEMM.PackedB, Tensor) -> Tensor
        /// SmallGEMM's product on a B packed for this set: (a, lda, b, c, ldc, m, accumulate, bias).
        public var smallGEMM: @Sendable (UnsafePointer<Float>, Int, SmallGEMM.PackedB, UnsafeMutablePointer<Float>, Int, Int, Bool,
                                         UnsafePointer<Float>?) -> Void

        public init(windowAttention: @escaping @Sendable (Tensor, Int, Int, WindowAttention.Weights) -> Tensor,
                    invertedResidual: @escaping @Sendable (Tensor, SmallGEMM.PackedB, Tensor, Tensor, Tensor, SmallGEMM.PackedB,
                                                           Tensor, Int, Bool) -> Tensor,
                    residualMLP: @escaping @Sendable (Tensor, Tensor, Tensor, Float, SmallGEMM.PackedB, Tensor, SmallGEMM.PackedB,
                                                      Tensor) -> Tensor,
                    smallGEMM: @escaping @Sendable (UnsafePointer<Float>, Int, SmallGEMM.PackedB, UnsafeMutablePointer<Float>, Int, Int,
                                                    Bool, UnsafePointer<Float>?) -> Void) {
            self.windowAttention = windowAttention
            self.invertedResidual = invertedResidual
            self.residualMLP = residualMLP
            self.smallGEMM = smallGEMM
        }
    }

    /// The 8-lane kernels, compiled into this module for every supported CPU.
    public static let avx2Table = Table(
        windowAttention: { WindowAttentionKernel<SIMD8<Float>>.forward($0, window: $1, heads: $2, weights: $3) },
        invertedResidual: {
            InvertedResidualKernel<SIMD8<Float>>.forward($0, expand: $1, expandBias: $2, depthwise: $3, depthwiseBias: $4,
                                                         project: $5, projectBias: $6, stride: $7, residual: $8)
        },
        residualMLP: {
            ResidualMLPKernel<SIMD8<Float>>.forward($0, normWeight: $1, normBias: $2, epsilon: $3, fc1: $4, fc1Bias: $5, fc2: $6,
                                                    fc2Bias: $7)
        },
        smallGEMM: { SmallGEMMKernel<SIMD8<Float>>.multiply($0, lda: $1, $2, into: $3, ldc: $4, m: $5, accumulate: $6, bias: $7) })

    /// The wider kernels in use, nil for the AVX2 ones (set once, at start-up, by SAM's KernelSelection).
    nonisolated(unsafe) public private(set) static var wide: Table?

    /// The kernels in use.
    public static var table: Table { wide ?? avx2Table }

    /// Installs (or, with nil, removes) the wider kernels.
    public static func use(_ table: Table?) { wide = table }

    /// The set in use.
    public static var active: EngineKernels { wide == nil ? .avx2 : .avx512 }

    /// The environment variable that keeps the AVX2 kernels on an AVX-512 CPU (VOLSAM_KERNELS=avx2).
    public static let variable = "VOLSAM_KERNELS"

    /// The set for a CPU: AVX-512 when it has it (F, DQ, CD, BW, VL) and the environment does not ask for AVX2.
    public static func wanted(cpu: CPUFeatures.Level, environment: [String: String]) -> EngineKernels {
        cpu == .avx512 && environment[variable]?.lowercased() != "avx2" ? .avx512 : .avx2
    }

    public var description: String {
        switch self {
        case .avx2: "AVX2 + FMA (8 lanes)"
        case .avx512: "AVX-512 (16 lanes)"
        }
    }
}
