import Foundation
import Testing
@testable import Tensor

/// When VolSAM restarts with another OpenBLAS core, and which.
@Suite struct BLASCoreTests {
    @Test func aWeakerCoreIsReplacedUnlessTheUserChoseOne() {
        #expect(BLASCore.correction(running: "Prescott", cpu: .avx512, environment: [:]) == "SkylakeX")
        #expect(BLASCore.correction(running: "Sandybridge", cpu: .avx2, environment: [:]) == "Haswell")
        #expect(BLASCore.correction(running: "Haswell", cpu: .avx512, environment: [:]) == "SkylakeX")
        #expect(BLASCore.correction(running: "SkylakeX", cpu: .avx512, environment: [:]) == nil)
        #expect(BLASCore.correction(running: "Cooperlake", cpu: .avx512, environment: [:]) == nil)
        #expect(BLASCore.correction(running: "Haswell", cpu: .avx2, environment: [:]) == nil)
        #expect(BLASCore.correction(running: "Zen", cpu: .avx2, environment: [:]) == nil)
        #expect(BLASCore.correction(running: "Prescott", cpu: .avx512, environment: ["OPENBLAS_CORETYPE": "Prescott"]) == nil)
        #expect(BLASCore.correction(running: "Prescott", cpu: .belowAVX2, environment: [:]) == nil)
    }

    /// This process (the test runner) loaded OpenBLAS too: its core and this CPU's level are known.
    @Test func theRunningCoreAndTheCPULevelAreKnown() {
        #expect(BLASCore.name != "unknown" && !BLASCore.name.isEmpty)
        #expect(CPUFeatures.level >= .avx2)
        #expect(BLASCore.configuration.contains("OpenBLAS"))
    }
}

/// Which of VolSAM's kernel sets runs.
@Suite struct KernelChoiceTests {
    @Test func avx512OnlyWhereTheCPUHasItAndNotWhenAskedForAVX2() {
        #expect(EngineKernels.wanted(cpu: .avx512, environment: [:]) == .avx512)
        #expect(EngineKernels.wanted(cpu: .avx512, environment: ["VOLSAM_KERNELS": "avx2"]) == .avx2)
        #expect(EngineKernels.wanted(cpu: .avx512, environment: ["VOLSAM_KERNELS": "AVX2"]) == .avx2)
        #expect(EngineKernels.wanted(cpu: .avx2, environment: [:]) == .avx2)
        #expect(EngineKernels.wanted(cpu: .avx2, environment: ["VOLSAM_KERNELS": "avx512"]) == .avx2)
    }
}
