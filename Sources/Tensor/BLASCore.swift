import COpenBLAS
import Foundation

/// Which kernels the loaded OpenBLAS runs. Debian's OpenBLAS chooses its core when it loads, from a table of CPU
/// models; a model newer than the table (a Xeon after Sapphire Rapids) gets its Prescott (SSE3) kernels, a third
/// of the speed. `correction` says when to start again with OPENBLAS_CORETYPE naming the core this CPU deserves.
public enum BLASCore {
    /// Set by VolSAM when it restarted with a corrected core: the core OpenBLAS had chosen.
    public static let replacedVariable = "VOLSAM_BLAS_REPLACED_CORE"

    /// The core OpenBLAS is running (openblas_get_corename), e.g. "SkylakeX", "Haswell", "Prescott".
    public static var name: String { openblas_get_corename().map { String(cString: $0) } ?? "unknown" }

    /// OpenBLAS's build configuration (version, DYNAMIC_ARCH, ...).
    public static var configuration: String { openblas_get_config().map { String(cString: $0) } ?? "unknown" }

    /// The vector level a core's sgemm kernels use.
    public static func level(ofCore core: String) -> CPUFeatures.Level {
        switch core.lowercased() {
        case "skylakex", "cooperlake", "sapphirerapids": .avx512
        case "haswell", "zen", "excavator": .avx2
        default: .belowAVX2
        }
    }

    /// The core for a CPU level: SkylakeX's sgemm kernels for AVX-512, Haswell's for AVX2 (measured against the
    /// alternatives in tools/bench/blas_cores.sh).
    public static func preferred(for level: CPUFeatures.Level) -> String? {
        switch level {
        case .avx512: "SkylakeX"
        case .avx2: "Haswell"
        case .belowAVX2: nil
        }
    }

    /// The OPENBLAS_CORETYPE to restart with, or nil: when the running core already uses this CPU's vector level,
    /// when the user chose a core (OPENBLAS_CORETYPE set), or when there is nothing better.
    public static func correction(running core: String, cpu: CPUFeatures.Level, environment: [String: String]) -> String? {
        guard environment["OPENBLAS_CORETYPE"] == nil, level(ofCore: core) < cpu else { return nil }
        return preferred(for: cpu)
    }

    /// One line for reports: the core, and whether VolSAM chose it over the library's own choice.
    public static func summary(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let replaced = environment[replacedVariable] {
            return "OpenBLAS \(name) kernels (chosen by VolSAM for this \(CPUFeatures.level) CPU; the library had picked \(replaced))"
        }
        let chosen = environment["OPENBLAS_CORETYPE"] != nil ? " (OPENBLAS_CORETYPE)" : ""
        return "OpenBLAS \(name) kernels\(chosen)"
    }
}
