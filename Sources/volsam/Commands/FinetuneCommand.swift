import ArgumentParser
import Foundation
import Metrics
import Pipeline
import SAM
import Training

/// `volsam finetune`: a LoRA adapter for the mask decoder from a few labelled slices.
struct Finetune: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Adapt the model to a structure from labelled exemplars: a LoRA adapter for the mask decoder.",
        discussion: """
        Exemplar slices are picked from the training cases (seeded; slices where the target covers 10 pixels or \
        more), encoded once by the frozen encoder, and the decoder's attention q and v projections get a LoRA \
        (Cheap Lunch's recipe: rank 4, cross-entropy + 0.8 Dice, AdamW 1e-3 with warm-up and exponential decay), \
        trained on the exemplars with the prompts `segment` derives (boxes with up to 5 px of jitter, furthest and \
        random points). Use the adapter with `segment --adapter` or `batch --adapter`. Never score on a case you \
        trained on. Writes OUT.safetensors, OUT.log.csv (loss per step) and OUT.run.json (provenance).
        """)

    @Option(name: .customLong("case"), help: ArgumentHelp("A training case IMAGE:LABELMAP (repeat for more cases).", valueName: "image:labels"),
            transform: Self.casePair)
    var cases: [TrainingPair] = []

    @Option(name: .long, help: ArgumentHelp("Label ids to learn, e.g. 1,2,4 (default: every label in the first case).", valueName: "ids"),
            transform: LabelList.argument)
    var labels: LabelList?

    @Flag(name: .long, help: "Learn the labels as one structure (BraTS whole tumour: --labels 1,2,4 --union).")
    var union = false

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Exemplar slices to learn from.", valueName: "n"))
    var exemplars = 16

    @Option(name: .long, help: "Prompts to train with: box, point or mixed.")
    var prompts: TrainingPrompts = .mixed

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Optimizer steps.", valueName: "n"))
    var steps = 300

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Samples per step.", valueName: "n"))
    var batch = 4

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Peak learning rate (AdamW).", valueName: "rate"))
    var lr = 1e-3

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("LoRA rank.", valueName: "r"))
    var rank = 4

    @Option(name: .long, help: "Loss: ce-dice or focal-dice.")
    var loss: TrainingSettings.Loss = .crossEntropyDice

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Seed of the exemplar choice, the LoRA's start, prompts and batches.",
                                                                     valueName: "n"))
    var seed: UInt64 = 0

    @Option(name: .shortAndLong, help: "The adapter to write (.safetensors).")
    var output: String

    @OptionGroup var report: ReportOptions
    @OptionGroup var model: ModelOptions
    @OptionGroup var input: InputOptions
    @OptionGroup var normalization: NormalizationOptions

    func validate() throws {
        guard !cases.isEmpty else { throw ValidationError("give at least one --case IMAGE:LABELMAP") }
        guard output.hasSuffix(".safetensors") else { throw ValidationError("-o must end in .safetensors, not '\(output)'") }
        if union && labels == nil { throw ValidationError("--union needs --labels (the labels that form the structure)") }
        for (name, value, low, high) in [("--exemplars", exemplars, 1, 4096), ("--steps", steps, 1, 1_000_000), ("--batch", batch, 1, 256),
                                         ("--rank", rank, 1, 64)] where value < low || value > high {
            throw ValidationError("\(name) must be from \(low) to \(high), not \(value)")
        }
        guard lr > 0, lr < 1 else { throw ValidationError("--lr must be above 0 and below 1, not \(lr)") }
    }

    static func casePair(_ text: String) throws -> TrainingPair {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw ValidationError("--case takes IMAGE:LABELMAP (one colon), not '\(text)'")
        }
        return TrainingPair(image: parts[0], labelMap: parts[1])
    }

    func run() throws {
        var request = FinetuneRun.Request(output: output)
        request.cases = cases.map { ($0.image, $0.labelMap) }
        request.labels = labels?.ids
        (request.union, request.exemplars, request.prompts) = (union, exemplars, prompts)
        request.lora = LoRASettings(rank: rank, seed: seed)
        request.training.steps = steps
        request.training.batch = batch
        request.training.learningRate = lr
        request.training.loss = loss
        request.training.seed = seed
        request.reading = ImageReading(loader: input.loader, normalization: normalization.choice)
        let engine = EngineSettings(weights: model.weights, threads: model.applyThreads())
        let quiet = report.quiet || report.json
        let bar = ProgressBar(total: steps, unit: "training steps", quiet: quiet)
        let result = try FinetuneRun(request: request, engine: engine).run(arguments: CommandLine.arguments, note: note) { _ in bar.advance() }
        if report.json { return FileHandle.standardOutput.write(try MetricsReport.data(result.object())) }
        print(result.text)
    }
}

/// One `--case` value.
struct TrainingPair: Sendable {
    let image: String, labelMap: String
}

extension TrainingPrompts: ExpressibleByArgument {}
extension TrainingSettings.Loss: ExpressibleByArgument {}
