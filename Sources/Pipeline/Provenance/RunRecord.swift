import Foundation
import Metrics
import SAM
import Tensor
import Volume

/// The provenance of a run, written next to its outputs (run.json): VolSAM's version, the command's arguments, the
/// weights and their SHA-256 (and the adapter's), the machine, when it started and how long it took, and whatever the command adds.
public struct RunRecord {
    /// VolSAM's version, as `volsam --version` prints it.
    public static let version = "0.1.0"

    public private(set) var fields: [String: Any]
    /// The SHA-256 of the weights the run uses (hashed once, here).
    public let weightsSHA256: String
    private let started = Date()

    /// Starts a record: hashes the weights the run uses (`engine.weights`, or the spec's cached checkpoint);
    /// `note` hears when they are not the spec's published checkpoint.
    public init(arguments: [String], engine: EngineSettings, note: (String) -> Void = { _ in }) throws {
        let weights = try ModelWeights.locate(explicit: engine.weights, spec: engine.spec)
        let digest = try ModelWeights.sha256(of: weights)
        weightsSHA256 = digest
        if let remark = ModelWeights.provenanceNote(path: weights, sha256: digest, spec: engine.spec) { note(remark) }
        fields = [
            "volsam_version": Self.version, "arguments": arguments,
            "weights": weights, "weights_sha256": digest, "weights_published": digest == engine.spec.checkpointSHA256,
            "started": ISO8601DateFormatter().string(from: started),
            "machine": Self.machine(threads: engine.threads),
        ]
        if let adapter = engine.adapter {
            let file = try AdapterFile.read(path: adapter).metadata
            fields["adapter"] = ["path": adapter, "sha256": try ModelWeights.sha256(of: adapter), "method": file["method"] ?? "",
                                 "rank": file["rank"].flatMap(Int.init) ?? NSNull(), "targets": file["targets"] ?? "",
                                 "where": file["where"] ?? ""] as [String: Any]
        }
    }

    public subscript(key: String) -> Any? {
        get { fields[key] }
        set { fields[key] = newValue }
    }

    /// `OUT.nii.gz` -> `OUT.run.json` (the record `volsam segment` writes beside its label map).
    public static func path(nextTo output: String) -> String {
        var stem = output
        for ext in [".nii.gz", ".nii"] where stem.hasSuffix(ext) { stem.removeLast(ext.count); break }
        return stem + ".run.json"
    }

    /// Writes the record (with the seconds since it started) atomically to `path`.
    public mutating func write(to path: String) throws {
        fields["seconds"] = Date().timeIntervalSince(started)
        try AtomicOutput.write(try MetricsReport.data(fields), to: path)
    }

    /// Host, system, CPU (architecture, model, vector level), the kernels that run (BLAS core, VolSAM's own),
    /// cores, memory and the threads the run used.
    /// This process's peak resident memory so far, MB (getrusage).
    public static func peakResidentMB() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }

    public static func machine(threads: Int) -> [String: Any] {
        var info = utsname()
        uname(&info)
        func text<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        return ["host": ProcessInfo.processInfo.hostName, "system": "\(text(info.sysname)) \(text(info.release))",
                "cpu": text(info.machine), "cpu_model": cpuModel(), "vector_level": CPUFeatures.level.description,
                "blas_core": BLASCore.name, "blas": BLASCore.summary(), "kernels": EngineKernels.active.description,
                "cores": ProcessInfo.processInfo.activeProcessorCount,
                "memory_gb": Double(ProcessInfo.processInfo.physicalMemory) / 1e9, "threads": threads]
    }

    /// The CPU's model name (/proc/cpuinfo), "unknown" where unreadable.
    static func cpuModel() -> String {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = info.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
              let colon = line.firstIndex(of: ":") else { return "unknown" }
        return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
}
