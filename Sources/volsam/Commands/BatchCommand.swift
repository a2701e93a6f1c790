import ArgumentParser
import Foundation
import Metrics
import Pipeline

/// `volsam batch`: every case of a BraTS, Synapse/BTCV or MSD/nnU-Net folder, with metrics and the papers' table.
struct Batch: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Segment every case of a dataset folder and score it (BraTS 2021/2023, Synapse/BTCV, MSD/nnU-Net).",
        discussion: """
        Writes OUTDIR/CASE.nii.gz (+ CASE.labels.json), metrics.csv, summary.json (as `volsam eval`), run.json and, \
        when a case fails, failures.json; the run goes on and exits non-zero at the end. Outputs are written \
        atomically, so with --resume an existing CASE.nii.gz is a finished case: it is scored, not segmented again. \
        --shard K/N takes every N-th case from the K-th (sorted by id) and tags its tables with shardKofN; a final \
        run with --resume and no --shard scores everything into one table.
        """)

    @Argument(help: "The dataset folder.")
    var dataset: String

    @Option(name: .shortAndLong, help: "Output folder (created when its parent exists).")
    var output: String

    @OptionGroup var folder: DatasetOptions

    @Option(name: .long, help: "BraTS targets: wt (whole tumour), tc (tumour core), et (enhancing), comma-separated.")
    var targets: String = "wt"

    @OptionGroup var labels: LabelsOption
    @OptionGroup var strategy: StrategyOptions

    @Option(name: .long, help: "Folder of CASE.json prompt files (instead of prompts from the references).")
    var promptsDir: String?

    @Flag(name: .long, help: "Skip cases whose CASE.nii.gz exists (they are still scored).")
    var resume = false

    @Option(name: .long, help: ArgumentHelp("Run shard K of N (1-based), e.g. 3/8 for a Slurm or Kubernetes array job.", valueName: "k/n"),
            transform: { try Shard(parsing: $0) })
    var shard: Shard?

    @Flag(name: .long, help: "Keep only the largest 3-D component of each label.")
    var keepLargest = false

    @Flag(name: .customLong("report"), help: "Also write OUTDIR/report/index.html: the papers' table, Dice and HD95 plots, a row and a montage per case (report/CASE.png).")
    var htmlReport = false

    @OptionGroup var convention: ConventionOption
    @OptionGroup var report: ReportOptions

    @OptionGroup var engine: EngineOptions
    @OptionGroup var input: InputOptions
    @OptionGroup var normalization: NormalizationOptions

    func run() throws {
        var request = BatchPlan.Request(dataset: dataset)
        (request.layout, request.channel) = (folder.layout, folder.channel)
        request.targets = targets.split(separator: ",").map(String.init)
        request.labels = labels.labels?.ids
        request.strategy = strategy.strategy
        request.seed = strategy.seed
        request.promptsFolder = promptsDir
        request.normalization = normalization.choice
        request.metrics = convention.options
        let plan = try BatchPlan(request)
        plan.notes.forEach(note)
        let batch = BatchRun(plan: plan, output: output, shard: shard, resume: resume, keepLargest: keepLargest,
                             report: htmlReport, engine: engine.settings(), loader: input.loader)
        let quiet = report.quiet || report.json
        let bar = ProgressBar(total: batch.cases.count, unit: "cases", quiet: quiet)
        let result = try batch.run(arguments: CommandLine.arguments, observer: BatchRun.Observer(note: note) { item, outcome, seconds in
            switch outcome {
            case let .success(metrics): if !quiet { note(Self.caseLine(item, metrics, seconds: seconds)) }
            case let .failure(error): FileHandle.standardError.write(Data("case \(item.id) failed: \(error)\n".utf8))
            }
            bar.advance()
        })
        let tag = result.tag
        if report.json {
            FileHandle.standardOutput.write(try Data(contentsOf: URL(fileURLWithPath: "\(output)/summary\(tag).json")))
        } else {
            print("\(batch.cases.count) case(s): \(result.segmented) segmented, \(result.resumed) resumed, \(result.failures.count) "
                  + "failed; \(result.scored.count) scored (\(plan.metricOptions.convention.rawValue) convention, "
                  + "propagation \(batch.engine.propagation.rawValue)). "
                  + "Wrote \(output)/metrics\(tag).csv, summary\(tag).json, run\(tag).json"
                  + (htmlReport ? ", \(BatchReportPage.folder(in: output))/index\(tag).html" : ""))
            if !result.scored.isEmpty {
                print(MetricsReport.paperTable(MetricsSummary(cases: result.scored, names: plan.metricOptions.labelNames),
                                               options: plan.metricOptions, columns: plan.columns))
            }
        }
        if !result.failures.isEmpty {
            FileHandle.standardError.write(Data("\(result.failures.count) case(s) failed; see \(output)/failures\(tag).json\n".utf8))
            throw ExitCode(1)
        }
    }

    static func caseLine(_ item: DatasetCase, _ metrics: [LabelMetrics]?, seconds: Double) -> String {
        let dice = (metrics ?? []).compactMap(\.dice)
        let mean = dice.isEmpty ? "n/a" : String(format: "%.4f", dice.reduce(0, +) / Double(dice.count))
        return "\(item.id): mean Dice \(mean) over \(dice.count) label(s), \(String(format: "%.1f", seconds)) s"
    }
}


