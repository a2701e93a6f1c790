import Foundation
import Metrics
import Volume

/// A batch: each case segmented (or, with `resume`, its finished output scored), the tables rewritten after every
/// case, failures logged and the run continued; run.json, metrics.csv, summary.json and failures.json in `output`.
public struct BatchRun {
    public let plan: BatchPlan
    /// The cases to run (the plan's, or one shard of them).
    public let cases: [DatasetCase]
    public let output: String
    public let shard: Shard?
    public let resume: Bool
    public let keepLargest: Bool
    /// Write OUTDIR/report/index.html and a montage per case.
    public let report: Bool
    public let engine: EngineSettings
    public let loader: VolumeLoader.Options

    public init(plan: BatchPlan, output: String, shard: Shard? = nil, resume: Bool = false, keepLargest: Bool = false,
                report: Bool = false, engine: EngineSettings, loader: VolumeLoader.Options = .init()) {
        self.report = report
        self.plan = plan
        cases = shard.map { $0.select(plan.cases) } ?? plan.cases
        self.output = output
        self.shard = shard
        self.resume = resume
        self.keepLargest = keepLargest
        self.engine = engine
        self.loader = loader
    }

    /// What a running batch tells its caller.
    public struct Observer {
        public var note: (String) -> Void
        /// After each case: its metrics (nil without a reference) and seconds, or the error that stopped it.
        public var finished: (DatasetCase, Result<[LabelMetrics]?, Error>, Double) -> Void

        public init(note: @escaping (String) -> Void = { _ in },
                    finished: @escaping (DatasetCase, Result<[LabelMetrics]?, Error>, Double) -> Void = { _, _, _ in }) {
            self.note = note
            self.finished = finished
        }
    }

    /// What a batch did.
    public struct Report {
        public var segmented = 0, resumed = 0
        public var scored: [CaseMetrics] = []
        public var failures: [(caseID: String, error: String)] = []
        /// The cases done so far as the HTML report shows them (with `report`).
        public var entries: [BatchReportPage.Entry] = []
        /// The file-name tag of a shard ("_shard2of8"), empty otherwise.
        public var tag = ""
    }

    /// `arguments` go into run.json.
    public func run(arguments: [String], observer: Observer = Observer()) throws -> Report {
        try protection().check(outputs: [output])
        try AtomicOutput.createFolder(output)
        var report = Report(tag: shard.map { "_" + $0.tag } ?? "")
        var record = try RunRecord(arguments: arguments, engine: engine, note: observer.note)
        record["propagation"] = engine.propagation.rawValue
        record["dataset_layout"] = plan.layout.rawValue
        record["cases"] = cases.map(\.id)
        record["shard"] = shard?.description ?? NSNull()
        try record.write(to: "\(output)/run\(report.tag).json")
        let reading = ImageReading(loader: loader, normalization: plan.normalization)
        let runner = CaseRunner(engine: engine, reading: reading)
        for item in cases {
            let target = output + "/" + item.id + ".nii.gz"
            let caseStart = Date()
            let outcome: Result<[LabelMetrics]?, Error>
            do {
                var metrics: [LabelMetrics]?
                if resume && FileManager.default.fileExists(atPath: target) {
                    metrics = try scoreExisting(item, prediction: target, note: observer.note)
                    report.resumed += 1
                } else {
                    let prompts = plan.prompts, note = observer.note
                    let request = CaseRequest(
                        image: item.image, prompts: { try prompts.make(item, volume: $0, grid: $1, note: note) },
                        reference: item.reference, metrics: plan.metricOptions,
                        outputs: CaseOutputs(labelMap: target, keepLargest: keepLargest, regions: plan.prompts.regions))
                    metrics = try runner.run(request, observer: CaseObserver(note: observer.note)).metrics
                    report.segmented += 1
                }
                if let metrics, let reference = item.reference {
                    report.scored.append(CaseMetrics(caseID: item.id, predictionFile: target, referenceFile: reference, labels: metrics))
                }
                outcome = .success(metrics)
            } catch {
                report.failures.append((item.id, "\(error)"))
                outcome = .failure(error)
            }
            if self.report { report.entries.append(entry(item, outcome, prediction: target, reading: reading, seconds: Date().timeIntervalSince(caseStart))) }
            observer.finished(item, outcome, Date().timeIntervalSince(caseStart))
            try writeTables(report)
        }
        record["segmented"] = report.segmented
        record["resumed"] = report.resumed
        record["failed"] = report.failures.map(\.caseID)
        try record.write(to: "\(output)/run\(report.tag).json")
        return report
    }

    /// A finished case for the report, with its montage drawn (a montage that cannot be drawn is said in its row).
    func entry(_ item: DatasetCase, _ outcome: Result<[LabelMetrics]?, Error>, prediction: String, reading: ImageReading,
               seconds: Double) -> BatchReportPage.Entry {
        switch outcome {
        case let .failure(error):
            return .init(id: item.id, image: item.image, montage: nil, metrics: nil, error: "\(error)", failed: true, seconds: seconds)
        case let .success(metrics):
            do {
                let montage = try reportPage.montage(item, prediction: prediction, reading: reading)
                return .init(id: item.id, image: item.image, montage: montage, metrics: metrics, error: nil, failed: false, seconds: seconds)
            } catch {
                return .init(id: item.id, image: item.image, montage: nil, metrics: metrics, error: "\(error)", failed: false, seconds: seconds)
            }
        }
    }

    var reportPage: BatchReportPage { BatchReportPage(output: output, plan: plan, propagation: engine.propagation) }

    /// The dataset's input folders (every folder holding a case's image or reference, the prompts folder) and the
    /// dataset folder itself: the output folder may be a new folder inside the dataset, not one of these.
    func protection() -> InputProtection {
        var folders = plan.cases.flatMap { [$0.image] + ($0.reference.map { [$0] } ?? []) }
            .map { InputProtection.Input(($0 as NSString).deletingLastPathComponent, "an input folder of the dataset") }
        if let prompts = plan.prompts.folder { folders.append(.init(prompts, "the prompts folder")) }
        return InputProtection(inputs: engine.inputs, folders: folders, exactFolders: [.init(plan.dataset, "the dataset folder")])
    }

    /// Scores a finished output of an earlier run.
    func scoreExisting(_ item: DatasetCase, prediction: String, note: (String) -> Void) throws -> [LabelMetrics]? {
        guard let reference = item.reference else { return nil }
        let (pred, gt, reordered) = try CaseEvaluation.load(prediction: prediction, reference: reference)
        if reordered { note("\(prediction) stores the reference's voxels in another order; reordered to score it") }
        let names = plan.metricOptions.labelNames
        return try CaseScoring.score(pred.voxels, reference: gt, labels: names.keys.sorted().map { ($0, names[$0]) },
                                     regions: plan.prompts.regions, options: plan.metricOptions)
    }

    /// metrics.csv, summary.json and failures.json (removed when there are none) and, with `report`,
    /// report/index.html, for the cases so far.
    func writeTables(_ report: Report) throws {
        if self.report {
            try reportPage.write(report.entries, scored: report.scored, counts: (report.segmented, report.resumed, report.failures.count),
                                 total: cases.count, tag: report.tag)
        }
        let tag = report.tag
        try AtomicOutput.write(Data(MetricsReport.csv(report.scored).utf8), to: "\(output)/metrics\(tag).csv")
        let summary = MetricsSummary(cases: report.scored, names: plan.metricOptions.labelNames)
        var json = MetricsReport.summary(report.scored, summary, options: plan.metricOptions)
        json["failed_cases"] = report.failures.map(\.caseID)
        json["propagation"] = engine.propagation.rawValue
        try AtomicOutput.write(try MetricsReport.data(json), to: "\(output)/summary\(tag).json")
        let failuresPath = "\(output)/failures\(tag).json"
        if !report.failures.isEmpty {
            let rows = report.failures.map { failure -> [String: Any] in
                ["case": failure.caseID, "image": cases.first { $0.id == failure.caseID }?.image ?? "", "error": failure.error]
            }
            try AtomicOutput.write(try MetricsReport.data(rows), to: failuresPath)
        } else if FileManager.default.fileExists(atPath: failuresPath) {
            try FileManager.default.removeItem(atPath: failuresPath)
        }
    }
}
