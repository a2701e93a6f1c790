import Foundation
import Metrics
import Volume

/// Reading + processing layout + normalization of a volume, stage by stage (`volsam bench io`).
public enum IOBenchmark {
    /// Best and median whole runs, each stage's median (seconds), and a checksum of the normalized voxels.
    public static func run(path: String, runs: Int) throws -> (best: Double, median: Double, stages: [String: Double], checksum: Double) {
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
            totals.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            checksum = Double(canonical.voxels[canonical.voxels.count / 2])
        }
        return (totals.min()!, median(totals), stages.mapValues(median), checksum)
    }

    static func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
}

/// The surface metrics of one label of two masks, file reading excluded (`volsam bench metrics`).
public enum MetricsBenchmark {
    public static func run(prediction: String, reference: String, label: Int, runs: Int) throws -> (hd95: Double, median: Double, best: Double, runs: Int) {
        let (pred, gt, _) = try CaseEvaluation.load(prediction: prediction, reference: reference)
        let spacing = [pred.spacing.x, pred.spacing.y, pred.spacing.z]
        var times: [Double] = []
        var result: LabelMetrics?
        for _ in 0..<max(1, runs) {
            let start = DispatchTime.now().uptimeNanoseconds
            result = try LabelMapEvaluator.evaluate(prediction: pred.voxels, reference: gt.voxels, shape: pred.shape,
                                                    spacing: spacing, options: MetricOptions(labels: [label]))[0]
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return (result?.hd95 ?? .nan, IOBenchmark.median(times), times.min()!, times.count)
    }
}
