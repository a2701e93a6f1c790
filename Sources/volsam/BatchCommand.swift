import ArgumentParser
import Foundation
import Metrics
import Pipeline
import Volume

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

    @Option(name: .shortAndLong, help: "Output folder.")
    var output: String

    @Option(name: .long, help: "brats2021, brats2023, synapse or msd (default: detected).")
    var layout: String?

    @Option(name: .long, help: "BraTS image channel: flair (default), t1, t1ce, t2 (2023 names t2f, t1n, t1c, t2w work too).")
    var channel: String = "flair"

    @Option(name: .long, help: "BraTS targets: wt (whole tumour), tc (tumour core), et (enhancing), comma-separated.")
    var targets: String = "wt"

    @Option(name: .long, help: "Labels to segment, e.g. 1,2,3 (default: Synapse's 8 organs, MSD's dataset.json labels).")
    var labels: String?

    @Option(name: .long, help: ArgumentHelp("Prompts from each reference: \(PromptStrategy.usage).", valueName: "strategy"))
    var strategy: String = "box"

    @Option(name: .long, help: "Seed of the random strategies.")
    var seed: UInt64 = 0

    @Option(name: .long, help: "Folder of CASE.json prompt files (instead of prompts from the references).")
    var promptsDir: String?

    @Flag(name: .long, help: "Skip cases whose CASE.nii.gz exists (they are still scored).")
    var resume = false

    @Option(name: .long, help: "Run shard K of N (1-based), e.g. 3/8 for a Slurm or Kubernetes array job.")
    var shard: String?

    @Flag(name: .long, help: "Keep only the largest 3-D component of each label.")
    var keepLargest = false

    @Option(name: .long, help: "Metric convention: medpy, monai, brats or transunet.")
    var convention: String = "medpy"

    @Flag(name: .long, help: "No progress output.")
    var quiet = false

    @OptionGroup var engine: EngineOptions
    @OptionGroup var input: InputOptions
    @OptionGroup var normalization: NormalizationOptions

    func run() throws {
        guard let convention = MetricConvention(rawValue: convention) else {
            throw ValidationError("--convention must be one of \(MetricConvention.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let chosenLayout: DatasetLayout
        if let layout {
            guard let l = DatasetLayout(rawValue: layout) else {
                throw ValidationError("--layout must be one of \(DatasetLayout.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            chosenLayout = l
        } else {
            chosenLayout = try DatasetLayout.detect(dataset)
        }
        let shardChoice = try shard.map { try Shard(parsing: $0) }
        let plan = try BatchPlan(layout: chosenLayout, dataset: dataset, channel: channel, targets: targets,
                                 labels: labels, strategy: strategy, seed: seed, promptsDir: promptsDir,
                                 normalization: normalization, convention: convention)
        let cases = shardChoice.map { $0.select(plan.cases) } ?? plan.cases
        try BatchRun(plan: plan, cases: cases, output: output, shard: shardChoice, resume: resume, keepLargest: keepLargest,
                     quiet: quiet, engine: engine, input: input).run()
    }
}
