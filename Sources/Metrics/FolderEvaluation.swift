import Foundation
import Synchronization
import Volume

/// Folder mode of `volsam eval`: matches prediction and reference files by case id, scores the cases in parallel,
/// writes metrics.csv, summary.json (and metrics_per_slice.csv) atomically, and reports what it found.
public struct FolderEvaluation: Sendable {
    /// How file names become case ids: the extension, then a prefix and a suffix, are removed.
    public struct Matching: Sendable {
        public var predictionPrefix = "", predictionSuffix = ""
        public var referencePrefix = "", referenceSuffix = ""
        public init() {}
    }

    /// What a folder evaluation found and wrote.
    public struct Report {
        public var scored: [CaseMetrics]
        public var summary: MetricsSummary
        /// summary.json's bytes (also written to the output folder).
        public var summaryData: Data
        /// Reference cases without a prediction.
        public var missing: [String]
        /// Predictions without a reference (ignored).
        public var unmatched: [String]
        /// Cases that could not be scored, with the reason.
        public var failures: [(caseID: String, error: VolumeError)]
        /// Cases whose prediction was on the reference's voxel centres in another voxel order (reordered, scored).
        public var reordered: [String]
        public var written: [String]
    }

    public let predictions: String
    public let references: String
    public let options: MetricOptions
    public let matching: Matching
    public let perSlice: Bool
    /// Where metrics.csv and summary.json go.
    public let output: String

    public init(predictions: String, references: String, options: MetricOptions, matching: Matching, perSlice: Bool,
                output: String) {
        self.predictions = predictions
        self.references = references
        self.options = options
        self.matching = matching
        self.perSlice = perSlice
        self.output = output
    }

    /// Case id -> file name, after stripping the extension and the prefix/suffix rule.
    public static func cases(in folder: String, prefix: String, suffix: String) throws -> [String: String] {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: folder) } catch {
            throw VolumeError(folder, "cannot list the folder (\(error.localizedDescription))")
        }
        var out: [String: String] = [:]
        for name in names where !name.hasPrefix(".") {
            guard var id = VolumeLoader.stem(of: name), id.hasPrefix(prefix), id.hasSuffix(suffix) else { continue }
            id = String(id.dropFirst(prefix.count).dropLast(suffix.count))
            if let existing = out[id] { throw VolumeError(folder, "case \(id) matches both \(existing) and \(name)") }
            out[id] = name
        }
        return out
    }

    /// Scores every matched case (`starting` with their count, `progress` after each) and writes the tables.
    public func run(starting: (Int) -> Void = { _ in }, progress: @Sendable () -> Void = {}) throws -> Report {
        let predictionFiles = try Self.cases(in: predictions, prefix: matching.predictionPrefix, suffix: matching.predictionSuffix)
        let referenceFiles = try Self.cases(in: references, prefix: matching.referencePrefix, suffix: matching.referenceSuffix)
        let ids = referenceFiles.keys.filter { predictionFiles[$0] != nil }.sorted()
        guard !ids.isEmpty else {
            throw VolumeError(predictions, "no case matches a reference in \(references) (check --pred-suffix/--gt-suffix)")
        }
        let inputs = ids.flatMap { [InputProtection.Input(self.predictions + "/" + predictionFiles[$0]!, "a prediction"),
                                    InputProtection.Input(self.references + "/" + referenceFiles[$0]!, "a reference")] }
        try AtomicOutput.createFolder(output)
        try InputProtection(inputs: inputs).check(outputs: ["metrics.csv", "summary.json", "metrics_per_slice.csv"].map { output + "/" + $0 })
        starting(ids.count)
        let outcomes = Mutex([String: Result<CaseOutcome, VolumeError>]())
        let (options, predictions, references, perSlice) = (options, predictions, references, perSlice)
        DispatchQueue.concurrentPerform(iterations: ids.count) { index in
            let id = ids[index]
            let predictionPath = predictions + "/" + predictionFiles[id]!
            let outcome: Result<CaseOutcome, VolumeError>
            do {
                let (pred, gt, reordered) = try CaseEvaluation.load(prediction: predictionPath,
                                                                    reference: references + "/" + referenceFiles[id]!)
                let labels = try CaseEvaluation.evaluate(prediction: pred, reference: gt, options: options)
                let slices = perSlice ? try CaseEvaluation.evaluatePerSlice(prediction: pred, reference: gt, options: options) : []
                outcome = .success(CaseOutcome(labels: labels, slices: slices, reordered: reordered))
            } catch let error as VolumeError {
                outcome = .failure(error)
            } catch {
                outcome = .failure(VolumeError(predictionPath, "\(error)"))
            }
            outcomes.withLock { $0[id] = outcome }
            progress()
        }
        let results = outcomes.withLock { $0 }
        var scored: [CaseMetrics] = [], failures: [(caseID: String, error: VolumeError)] = [], reordered: [String] = []
        var sliceRows: [(caseID: String, rows: [(slice: Int, metrics: LabelMetrics)])] = []
        for id in ids {
            switch results[id]! {
            case let .success(outcome):
                scored.append(CaseMetrics(caseID: id, predictionFile: predictionFiles[id]!, referenceFile: referenceFiles[id]!,
                                          labels: outcome.labels))
                sliceRows.append((id, outcome.slices))
                if outcome.reordered { reordered.append(id) }
            case let .failure(error):
                failures.append((id, error))
            }
        }
        let missing = referenceFiles.keys.filter { predictionFiles[$0] == nil }.sorted()
        let summary = MetricsSummary(cases: scored, names: options.labelNames)
        var written = [output + "/metrics.csv"]
        try AtomicOutput.write(Data(MetricsReport.csv(scored).utf8), to: output + "/metrics.csv")
        if perSlice {
            try AtomicOutput.write(Data(MetricsReport.perSliceCSV(sliceRows).utf8), to: output + "/metrics_per_slice.csv")
            written.append(output + "/metrics_per_slice.csv")
        }
        var summaryJSON = MetricsReport.summary(scored, summary, options: options)
        summaryJSON["missing_predictions"] = missing
        summaryJSON["failed_cases"] = failures.map(\.error.description)
        let summaryData = try MetricsReport.data(summaryJSON)
        try AtomicOutput.write(summaryData, to: output + "/summary.json")
        written.append(output + "/summary.json")
        return Report(scored: scored, summary: summary, summaryData: summaryData, missing: missing,
                      unmatched: predictionFiles.keys.filter { referenceFiles[$0] == nil }.sorted(), failures: failures,
                      reordered: reordered, written: written)
    }

    /// One case's scores.
    struct CaseOutcome: Sendable {
        var labels: [LabelMetrics]
        var slices: [(slice: Int, metrics: LabelMetrics)]
        var reordered: Bool
    }
}
