import Foundation
import KernelsAVX512
@testable import Tensor

/// Both kernel sets of the fused encoder kernels, for tests that check each against the references: the AVX2 set
/// and, on a CPU with AVX-512, the 16-lane set of KernelsAVX512. On an AVX2-only CPU the AVX-512 set is skipped,
/// saying so.
enum KernelSets {
    static var all: [EngineKernels] {
        if CPUFeatures.level == .avx512 { return [.avx2, .avx512] }
        print("skipping the AVX-512 kernels: this CPU has \(CPUFeatures.level)")
        return [.avx2]
    }

    /// The kernels of `set` (not the installed ones: the SAM tests in this process install the AVX-512 set).
    static func table(_ set: EngineKernels) -> EngineKernels.Table {
        set == .avx2 ? EngineKernels.avx2Table : AVX512Kernels.table
    }

    /// SmallGEMM's strip width for a set.
    static func strip(_ set: EngineKernels) -> Int {
        set == .avx2 ? 16 : 32
    }

    /// A weight [out, in] packed transposed for the set's SmallGEMM (the fused kernels' form).
    static func pack(_ weight: Tensor, _ set: EngineKernels) -> SmallGEMM.PackedB {
        SmallGEMM.PackedB(transposing: weight, strip: strip(set))
    }
}
