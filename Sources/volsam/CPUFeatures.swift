import Foundation

/// The instruction sets VolSAM's libraries are compiled for (Package.swift's vectorISA), checked before any of
/// their code runs so an older CPU gets a message instead of an illegal-instruction crash.
enum CPUFeatures {
    static let required = ["avx2", "fma"]

    /// Exits with a message when /proc/cpuinfo lists a CPU without AVX2 and FMA (no check where it is unreadable).
    static func requireVectorISA() {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flagsLine = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return }
        let flags = Set(flagsLine.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == ":" }).map(String.init))
        let missing = required.filter { !flags.contains($0) }
        guard !missing.isEmpty else { return }
        FileHandle.standardError.write(Data(
            "volsam: this CPU lacks \(missing.joined(separator: ", ")); VolSAM is built for x86-64 with AVX2 and FMA (Haswell, 2013, or newer)\n".utf8))
        exit(1)
    }
}
