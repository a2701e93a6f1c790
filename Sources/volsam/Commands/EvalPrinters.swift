import ArgumentParser
import Foundation
import Metrics
import Volume

/// `volsam eval` on one pair of files: scores and prints them.
enum PairEvalPrinter {
    static func run(prediction: String, reference: String, options: MetricOptions, json: Bool, perSlice: Bool) throws {
        let (pred, gt, reordered) = try CaseEvaluation.load(prediction: prediction, reference: reference)
        if reordered { note("\(prediction) holds the reference's voxel centres in another voxel order; reordered onto its grid") }
        let metrics = try CaseEvaluation.evaluate(prediction: pred, reference: gt, options: options)
        for m in metrics where options.labels != nil && m.predVoxels == 0 && m.gtVoxels == 0 {
            note("label \(m.label) is in neither map (both-empty rule: \(options.bothEmptyRule.rawValue))")
        }
        let slices = perSlice ? try CaseEvaluation.evaluatePerSlice(prediction: pred, reference: gt, options: options) : []
        let unit = options.convention == .transunet ? "voxels" : "mm"
        if json {
            var out: [String: Any] = [
                "prediction": prediction, "reference": reference, "convention": options.convention.rawValue,
                "nsd_tolerance": options.nsdTolerance, "distance_unit": unit,
                "spacing": [pred.spacing.x, pred.spacing.y, pred.spacing.z], "labels": metrics.map(MetricsReport.object),
            ]
            if reordered { out["reordered"] = true }
            if perSlice {
                out["slices"] = slices.map { row in MetricsReport.object(row.metrics).merging(["slice": row.slice]) { $1 } }
            }
            FileHandle.standardOutput.write(try MetricsReport.data(out))
            return
        }
        print("\(prediction) vs \(reference) (\(options.convention.rawValue) convention, NSD at \(options.nsdTolerance) \(unit))")
        print(MetricsReport.caseTable(metrics, hd95Unit: unit))
        if perSlice {
            print("\nPer axial slice (processing layout):")
            for row in slices {
                let f = { (v: Double?) in v.map { String(format: "%.4f", $0) } ?? "n/a" }
                print("slice \(row.slice) label \(row.metrics.label): Dice \(f(row.metrics.dice)), HD95 \(f(row.metrics.hd95))")
            }
        }
    }
}

/// `volsam eval` on two folders: FolderEvaluation with a progress bar, then the table.
enum FolderEvalPrinter {
    static func run(prediction: String, reference: String, options: MetricOptions, folders: FolderOptions,
                    report output: ReportOptions, perSlice: Bool) throws {
        let evaluation = FolderEvaluation(predictions: prediction, references: reference, options: options,
                                          matching: folders.matching, perSlice: perSlice, output: folders.output ?? prediction)
        let progress = ProgressBar(unit: "cases", quiet: output.quiet || output.json)
        let report = try evaluation.run(starting: progress.begin) { progress.advance() }
        for id in report.missing { FileHandle.standardError.write(Data("missing prediction for case \(id)\n".utf8)) }
        if !report.unmatched.isEmpty { note("\(report.unmatched.count) prediction(s) without a reference ignored") }
        for id in report.reordered { note("case \(id): prediction reordered onto the reference's voxel order") }
        for failure in report.failures {
            FileHandle.standardError.write(Data("case \(failure.caseID) failed: \(failure.error)\n".utf8))
        }
        if output.json {
            FileHandle.standardOutput.write(report.summaryData)
        } else {
            print("\(report.scored.count) case(s) scored (\(options.convention.rawValue) convention); wrote "
                  + "\(evaluation.output)/metrics.csv and summary.json")
            print(MetricsReport.paperTable(report.summary, options: options))
        }
        if !report.missing.isEmpty || !report.failures.isEmpty {
            throw VolumeError(prediction, "\(report.missing.count) missing and \(report.failures.count) failed case(s); see above")
        }
    }
}
