import Foundation
import Metrics
import Synchronization
import Volume

/// Folder mode of `volsam eval`: matches cases by id, scores them in parallel, writes metrics.csv and summary.json,
/// prints the paper-style table.
struct FolderEvaluation {
    let prediction: String
    let reference: String
    let options: MetricOptions
    let folders: FolderOptions
    let json: Bool
    let perSlice: Bool

    /// Case id -> file name, after stripping the extension and the prefix/suffix rule.
    static func cases(in folder: String, prefix: String, suffix: String) throws -> [String: String] {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder)
        var out: [String: String] = [:]
        for name in names where name.hasSuffix(".nii.gz") || name.hasSuffix(".nii") {
            var id = name.hasSuffix(".nii.gz") ? String(name.dropLast(7)) : String(name.dropLast(4))
            guard id.hasPrefix(prefix), id.hasSuffix(suffix) else { continue }
            id = String(id.dropFirst(prefix.count).dropLast(suffix.count))
            if let existing = out[id] { throw VolumeError(folder, "case \(id) matches both \(existing) and \(name)") }
            out[id] = name
        }
        return out
    }

    func run() throws {
        let predictions = try Self.cases(in: prediction, prefix: folders.predPrefix, suffix: folders.predSuffix)
        let references = try Self.cases(in: reference, prefix: folders.gtPrefix, suffix: folders.gtSuffix)
        let ids = references.keys.filter { predictions[$0] != nil }.sorted()
        let missing = references.keys.filter { predictions[$0] == nil }.sorted()
        let unmatched = predictions.keys.filter { references[$0] == nil }.sorted()
        guard !ids.isEmpty else {
            throw VolumeError(prediction, "no case matches a reference in \(reference) (check --pred-suffix/--gt-suffix)")
        }
        for id in missing { FileHandle.standardError.write(Data("missing prediction for case \(id)\n".utf8)) }
        if !unmatched.isEmpty {
            FileHandle.standardError.write(Data("note: \(unmatched.count) prediction(s) without a reference ignored\n".utf8))
        }
        let progress = ProgressBar(total: ids.count, unit: "cases", quiet: folders.quiet || json)
        let results = Mutex([String: Result<[LabelMetrics], VolumeError>]())
        let sliceRows = Mutex([String: [(slice: Int, metrics: LabelMetrics)]]())
        let (options, prediction, reference, perSlice) = (options, prediction, reference, perSlice)
        DispatchQueue.concurrentPerform(iterations: ids.count) { index in
            let id = ids[index]
            let outcome: Result<[LabelMetrics], VolumeError>
            do {
                let predPath = prediction + "/" + predictions[id]!
                let pred = try VolumeLoader.load(path: predPath)
                let gt = try VolumeLoader.load(path: reference + "/" + references[id]!)
                try CaseEvaluation.checkSameGrid(pred, gt, predictionPath: predPath)
                let labels = try CaseEvaluation.evaluate(prediction: pred, reference: gt, options: options)
                if perSlice {
                    let rows = try CaseEvaluation.evaluatePerSlice(prediction: pred, reference: gt, options: options)
                    sliceRows.withLock { $0[id] = rows }
                }
                outcome = .success(labels)
            } catch let error as VolumeError {
                outcome = .failure(error)
            } catch {
                outcome = .failure(VolumeError(prediction + "/" + predictions[id]!, "\(error)"))
            }
            results.withLock { $0[id] = outcome }
            progress.advance()
        }
        var scored: [CaseMetrics] = []
        var failures: [String] = []
        for id in ids {
            switch results.withLock({ $0[id]! }) {
            case let .success(labels):
                scored.append(CaseMetrics(caseID: id, predictionFile: predictions[id]!, referenceFile: references[id]!,
                                          labels: labels))
            case let .failure(error):
                failures.append(error.description)
                FileHandle.standardError.write(Data("case \(id) failed: \(error)\n".utf8))
            }
        }
        let summary = MetricsSummary(cases: scored, names: options.labelNames)
        let outputFolder = folders.output ?? prediction
        try FileManager.default.createDirectory(atPath: outputFolder, withIntermediateDirectories: true)
        try AtomicOutput.write(Data(MetricsReport.csv(scored).utf8), to: outputFolder + "/metrics.csv")
        if perSlice {
            let rows = sliceRows.withLock { $0 }
            let csv = MetricsReport.perSliceCSV(scored.map { ($0.caseID, rows[$0.caseID] ?? []) })
            try AtomicOutput.write(Data(csv.utf8), to: outputFolder + "/metrics_per_slice.csv")
        }
        var summaryJSON = MetricsReport.summary(scored, summary, convention: options.convention,
                                                nsdTolerance: options.nsdTolerance)
        summaryJSON["missing_predictions"] = missing
        summaryJSON["failed_cases"] = failures
        let summaryData = try MetricsReport.data(summaryJSON)
        try AtomicOutput.write(summaryData, to: outputFolder + "/summary.json")
        if json {
            FileHandle.standardOutput.write(summaryData)
        } else {
            print("\(scored.count) case(s) scored (\(options.convention.rawValue) convention); wrote \(outputFolder)/metrics.csv and summary.json")
            print(MetricsReport.paperTable(summary, hd95Unit: options.convention == .transunet ? "vox" : "mm"))
        }
        if !missing.isEmpty || !failures.isEmpty {
            throw VolumeError(prediction, "\(missing.count) missing and \(failures.count) failed case(s); see above")
        }
    }
}
