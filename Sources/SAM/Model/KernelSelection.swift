import Foundation
import KernelsAVX512
import Tensor

/// Chooses the engine's kernel set for this CPU and installs it. Compiled for AVX2 like the rest of SAM: it reads
/// the AVX-512 module's table only after CPUFeatures found AVX-512, so AVX2-only CPUs never run AVX-512 code.
public enum KernelSelection {
    /// Installs the set EngineKernels.wanted names (VOLSAM_KERNELS=avx2 keeps the AVX2 one); returns it.
    @discardableResult
    public static func install(environment: [String: String] = ProcessInfo.processInfo.environment) -> EngineKernels {
        let set = EngineKernels.wanted(cpu: CPUFeatures.level, environment: environment)
        EngineKernels.use(set == .avx512 ? AVX512Kernels.table : nil)
        return set
    }
}
