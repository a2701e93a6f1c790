import Foundation

/// The instruction sets VolSAM's libraries are compiled for (Package.swift's vectorISA), checked before any of
/// their code runs so an older CPU gets a message instead of an illegal-instruction crash.
public enum CPUFeatures {
    public static let required = ["avx2", "fma"]

    /// The required features /proc/cpuinfo does not list (none where it is unreadable).
    public static func missing() -> [String] {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flagsLine = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return [] }
        let flags = Set(flagsLine.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == ":" }).map(String.init))
        return required.filter { !flags.contains($0) }
    }
}
