import ArgumentParser
import Metrics
import Pipeline

/// `--convention` and `--both-empty`, shared by the commands that score.
struct ConventionOption: ParsableArguments {
    @Option(name: .long, help: "Metric convention: medpy, monai, brats or transunet (see `volsam eval --help`).")
    var convention: MetricConvention = .medpy

    @Option(name: .long, help: ArgumentHelp(
        "A label absent from both maps: skip (left out of the means, as nnU-Net), perfect (Dice 1, medpy's dc) or zero "
            + "(default: skip for medpy and monai, perfect for brats, zero for transunet).", valueName: "rule"))
    var bothEmpty: BothEmptyRule?

    /// The options these choose.
    var options: MetricOptions { MetricOptions(convention: convention, bothEmpty: bothEmpty) }
}

/// `--labels`, shared by the commands that choose labels.
struct LabelsOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Label ids, e.g. 1,2,3 (segment: of --prompts-from; batch: to segment; eval: to score; default: every label present, "
            + "in batch Synapse's 8 organs or dataset.json's labels).", valueName: "ids"), transform: LabelList.argument)
    var labels: LabelList?
}

/// `--strategy` and `--seed`: how prompts are derived from a reference label map.
struct StrategyOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Prompts from a reference label map: \(PromptStrategy.usage).", valueName: "strategy"),
            transform: { try PromptStrategy(parsing: $0) })
    var strategy: PromptStrategy = .box

    @Option(name: .long, parsing: .unconditional, help: "Seed of the random strategies (box-jitter, points).")
    var seed: UInt64 = 0
}

extension MetricConvention: ExpressibleByArgument {}
extension BothEmptyRule: ExpressibleByArgument {}

extension LabelList {
    /// Parses an option value, or says what a label list looks like.
    static func argument(_ text: String) throws -> LabelList {
        guard let list = LabelList(parsing: text) else { throw PromptError("label ids are \(LabelList.expected)") }
        return list
    }
}
