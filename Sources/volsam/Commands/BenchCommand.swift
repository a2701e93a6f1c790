import ArgumentParser
import Foundation
import Metrics
import Volume

/// `volsam bench`: in-process timings of VolSAM's hot paths.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time VolSAM's hot paths (tools/bench has the reference comparisons).",
        subcommands: [EngineBench.self, SegmentBench.self, IOBench.self, MetricsBench.self], defaultSubcommand: EngineBench.self)
}

/// `volsam bench metrics`: HD95 (with the other surface metrics) of one label of two masks, in-process.
struct MetricsBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics", abstract: "Time the surface metrics of two binary masks (file reading excluded).")

    @Argument(help: "Prediction mask.") var prediction: String
    @Argument(help: "Reference mask.") var reference: String
    @Option(name: .long, help: "Label to score.") var label: Int = 1
    @Option(name: .long, help: "Timed runs.") var runs: Int = 3
    @Flag(name: .long, help: "Print JSON.") var json = false

    func run() throws {
        let pred = try VolumeLoader.load(path: prediction), gt = try VolumeLoader.load(path: reference)
        guard pred.shape == gt.shape else { throw VolumeError(reference, "shape differs from \(prediction)") }
        let spacing = [pred.spacing.x, pred.spacing.y, pred.spacing.z]
        var times: [Double] = []
        var result: LabelMetrics?
        for _ in 0..<max(1, runs) {
            let start = DispatchTime.now().uptimeNanoseconds
            result = try LabelMapEvaluator.evaluate(prediction: pred.voxels, reference: gt.voxels, shape: pred.shape,
                                                    spacing: spacing, options: MetricOptions(labels: [label]))[0]
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        let median = times.sorted()[times.count / 2]
        let hd95 = result?.hd95 ?? .nan
        if json {
            print(#"{"hd95": \#(hd95), "median_s": \#(median), "best_s": \#(times.min()!), "runs": \#(times.count)}"#)
        } else {
            print(String(format: "hd95 %.6f mm: median %.3f s, best %.3f s over %d runs", hd95, median, times.min()!, times.count))
        }
    }
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
