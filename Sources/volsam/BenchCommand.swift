import ArgumentParser
import Foundation
import Volume

/// `volsam bench`: in-process timings of VolSAM's hot paths.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time VolSAM's hot paths (tools/bench has the reference comparisons).",
        subcommands: [IOBench.self])
}

/// `volsam bench io`: read + canonical layout + normalization of a volume, best and median of N runs.
struct IOBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "io", abstract: "Time reading, reorienting and normalizing a volume.")

    @Argument(help: "Volume to read (e.g. a 512x512x200 int16 .nii.gz).")
    var path: String

    @Option(name: .long, help: "Timed runs.")
    var runs: Int = 5

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    func run() throws {
        var stages: [String: [Double]] = [:]
        var totals: [Double] = []
        var checksum = 0.0
        func timed<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
            let start = DispatchTime.now().uptimeNanoseconds
            let result = try body()
            stages[name, default: []].append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            return result
        }
        for _ in 0..<max(1, runs) {
            let start = DispatchTime.now().uptimeNanoseconds
            let volume = try timed("read") { try VolumeLoader.load(path: path) }
            let modality = timed("modality") { Normalization.detectModality(volume).modality }
            let layoutStart = DispatchTime.now().uptimeNanoseconds
            var canonical = CanonicalVolume(consume volume)  // consumed: flips in place, no copy
            stages["layout", default: []].append(Double(DispatchTime.now().uptimeNanoseconds - layoutStart) / 1e9)
            timed("normalize") { Normalization.normalize(&canonical, window: .standard(for: modality)) }
            let normalized = canonical.voxels
            totals.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            checksum = Double(normalized[normalized.count / 2])
        }
        func median(_ v: [Double]) -> Double { v.sorted()[v.count / 2] }
        if json {
            let parts = stages.keys.sorted().map { "\"\($0)_s\": \(median(stages[$0]!))" }.joined(separator: ", ")
            print(#"{"best_s": \#(totals.min()!), "median_s": \#(median(totals)), "runs": \#(totals.count), "#
                  + parts + #", "checksum": \#(checksum)}"#)
        } else {
            print(String(format: "read + reorient + normalize: best %.3f s, median %.3f s over %d runs", totals.min()!,
                         median(totals), totals.count))
            for name in ["read", "modality", "layout", "normalize"] {
                print(String(format: "  %-10@ median %.3f s", name, median(stages[name]!)))
            }
        }
    }
}
