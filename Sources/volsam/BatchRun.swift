import ArgumentParser
import Foundation
import Metrics
import Pipeline
import SAM
import Volume

/// Runs a batch: each case segmented (or, with --resume, its finished output scored), tables rewritten after every
/// case, failures logged and the run continued.
struct BatchRun {
    let plan: BatchPlan
    let cases: [DatasetCase]
    let output: String
    let shard: Shard?
    let resume: Bool
    let keepLargest: Bool
    let quiet: Bool
    let engine: EngineOptions
    let input: InputOptions

    func run() throws {
        do { try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true) } catch {
            throw VolumeError(output, "cannot create the output folder (\(error.localizedDescription))")
        }
        let tag = shard.map { "_" + $0.tag } ?? ""
        let started = Date()
        var runInfo = try runObject()
        try writeJSON(runInfo, "run\(tag).json")
        let runner = CaseSegmenter(engine: engine, input: input, normalization: plan.normalization)
        var scored: [CaseMetrics] = []
        var failures: [[String: Any]] = []
        var segmented = 0, resumed = 0
        let bar = ProgressBar(total: cases.count, unit: "cases", quiet: quiet)
        for item in cases {
            let target = output + "/" + item.id + ".nii.gz"
            let caseStart = Date()
            do {
                var metrics: [LabelMetrics]?
                if resume && FileManager.default.fileExists(atPath: target) {
                    metrics = try scoreExisting(item, prediction: target)
                    resumed += 1
                } else {
                    let outputs = CaseOutputs(labelMap: target, keepLargest: keepLargest, regions: plan.prompts.regions)
                    let prompts = plan.prompts
                    metrics = try runner.run(image: item.image, prompts: { try prompts.make(item, volume: $0, grid: $1) },
                                              reference: item.reference, metricOptions: plan.metricOptions,
                                              outputs: outputs, quiet: true).metrics
                    segmented += 1
                }
                if let metrics, let reference = item.reference {
                    scored.append(CaseMetrics(caseID: item.id, predictionFile: target, referenceFile: reference, labels: metrics))
                }
                if !quiet { note(caseLine(item, metrics, seconds: Date().timeIntervalSince(caseStart))) }
            } catch {
                failures.append(["case": item.id, "image": item.image, "error": "\(error)"])
                FileHandle.standardError.write(Data("case \(item.id) failed: \(error)\n".utf8))
            }
            bar.advance()
            try writeTables(scored, failures, tag: tag)
        }
        runInfo["seconds"] = Date().timeIntervalSince(started)
        runInfo["segmented"] = segmented
        runInfo["resumed"] = resumed
        runInfo["failed"] = failures.map { $0["case"]! }
        try writeJSON(runInfo, "run\(tag).json")
        let summary = MetricsSummary(cases: scored, names: plan.metricOptions.labelNames)
        print("\(cases.count) case(s): \(segmented) segmented, \(resumed) resumed, \(failures.count) failed; \(scored.count) scored "
              + "(\(plan.metricOptions.convention.rawValue) convention). Wrote \(output)/metrics\(tag).csv, summary\(tag).json, run\(tag).json")
        if !scored.isEmpty { print(MetricsReport.paperTable(summary, columns: plan.columns)) }
        if !failures.isEmpty {
            FileHandle.standardError.write(Data("\(failures.count) case(s) failed; see \(output)/failures\(tag).json\n".utf8))
            throw ExitCode(1)
        }
    }

    /// Scores a finished output of an earlier run.
    func scoreExisting(_ item: DatasetCase, prediction: String) throws -> [LabelMetrics]? {
        guard let reference = item.reference else { return nil }
        let pred = try VolumeLoader.load(path: prediction), gt = try VolumeLoader.load(path: reference)
        try CaseEvaluation.checkSameGrid(pred, gt, predictionPath: prediction)
        let names = plan.metricOptions.labelNames
        return try CaseSegmenter.score(pred.voxels, reference: gt, labels: names.keys.sorted(), names: names,
                                       regions: plan.prompts.regions, options: plan.metricOptions)
    }

    func caseLine(_ item: DatasetCase, _ metrics: [LabelMetrics]?, seconds: Double) -> String {
        let dice = (metrics ?? []).compactMap(\.dice)
        let mean = dice.isEmpty ? "n/a" : String(format: "%.4f", dice.reduce(0, +) / Double(dice.count))
        return "\(item.id): mean Dice \(mean) over \(dice.count) label(s), \(String(format: "%.1f", seconds)) s"
    }

    func writeTables(_ scored: [CaseMetrics], _ failures: [[String: Any]], tag: String) throws {
        try AtomicOutput.write(Data(MetricsReport.csv(scored).utf8), to: "\(output)/metrics\(tag).csv")
        let summary = MetricsSummary(cases: scored, names: plan.metricOptions.labelNames)
        var json = MetricsReport.summary(scored, summary, convention: plan.metricOptions.convention,
                                         nsdTolerance: plan.metricOptions.nsdTolerance)
        json["failed_cases"] = failures.map { $0["case"]! }
        try writeJSON(json, "summary\(tag).json")
        let failuresPath = "\(output)/failures\(tag).json"
        if !failures.isEmpty {
            try writeJSON(failures, "failures\(tag).json")
        } else if FileManager.default.fileExists(atPath: failuresPath) {
            try FileManager.default.removeItem(atPath: failuresPath)
        }
    }

    func writeJSON(_ object: Any, _ name: String) throws {
        try AtomicOutput.write(try MetricsReport.data(object), to: output + "/" + name)
    }

    /// run.json: version, weights and their SHA-256, arguments, dataset, machine.
    func runObject() throws -> [String: Any] {
        let weights = try ModelWeights.locate(explicit: engine.weights)
        var info = utsname()
        uname(&info)
        func text<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        return [
            "volsam_version": VolSAM.configuration.version, "arguments": CommandLine.arguments,
            "weights": weights, "weights_sha256": try ModelWeights.sha256(of: weights),
            "dataset_layout": plan.layout.rawValue, "cases": cases.map(\.id), "shard": shard?.description ?? NSNull(),
            "started": ISO8601DateFormatter().string(from: Date()),
            "machine": ["host": ProcessInfo.processInfo.hostName, "system": "\(text(info.sysname)) \(text(info.release))",
                        "cpu": text(info.machine), "cores": ProcessInfo.processInfo.activeProcessorCount,
                        "memory_gb": Double(ProcessInfo.processInfo.physicalMemory) / 1e9,
                        "threads": engine.threads ?? ProcessInfo.processInfo.activeProcessorCount] as [String: Any],
        ]
    }
}
