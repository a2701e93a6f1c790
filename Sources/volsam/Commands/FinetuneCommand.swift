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
        more), optionally joined by slices synthesized from them (--synthesize: each structure cut out, blurred, \
        scaled, turned, flipped and shifted in intensity, pasted onto a target-free slice), encoded once by the \
        frozen encoder, and the decoder's attention q and v projections get a LoRA (Cheap Lunch's recipe: rank 4, \
        cross-entropy + 0.8 Dice, AdamW 1e-3 with warm-up and exponential decay), trained with the prompts \
        `segment` derives (boxes with up to 5 px of jitter, furthest and random points). Use the adapter with \
        `segment --adapter` or `batch --adapter`. Never score on a case you trained on. Writes OUT.safetensors, \
        OUT.log.csv (loss per step) and OUT.run.json (provenance).
        """)

    @OptionGroup var data: TrainingSetOptions

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

    @Option(name: .shortAndLong, help: "The adapter to write (.safetensors).")
    var output: String

    @OptionGroup var report: ReportOptions
    @OptionGroup var model: ModelOptions

    func validate() throws {
        guard output.hasSuffix(".safetensors") else { throw ValidationError("-o must end in .safetensors, not '\(output)'") }
        for (name, value, low, high) in [("--steps", steps, 1, 1_000_000), ("--batch", batch, 1, 256), ("--rank", rank, 1, 64)]
        where value < low || value > high {
            throw ValidationError("\(name) must be from \(low) to \(high), not \(value)")
        }
        guard lr > 0, lr < 1 else { throw ValidationError("--lr must be above 0 and below 1, not \(lr)") }
    }

    func run() throws {
        var request = FinetuneRun.Request(output: output)
        (request.data, request.prompts) = (data.request, prompts)
        request.lora = LoRASettings(rank: rank, seed: data.seed)
        (request.training.steps, request.training.batch, request.training.learningRate) = (steps, batch, lr)
        (request.training.loss, request.training.seed) = (loss, data.seed)
        let engine = EngineSettings(weights: model.weights, threads: model.applyThreads())
        let quiet = report.quiet || report.json
        let encoding = ProgressBar(unit: "slices encoded", quiet: quiet), training = ProgressBar(total: steps, unit: "steps", quiet: quiet)
        var recent: [Double] = []
        let observer = FinetuneRun.Observer(note: note, encoding: { encoding.begin(total: $0) }, encoded: { encoding.advance() }, step: { step in
            if recent.isEmpty { training.begin(total: steps) }
            recent = Array((recent + [step.loss]).suffix(10))
            training.advance(detail: String(format: "loss %.4f (last %d steps)", recent.reduce(0, +) / Double(recent.count), recent.count))
        })
        let result = try FinetuneRun(request: request, engine: engine).run(arguments: CommandLine.arguments, observer: observer)
        if report.json { return FileHandle.standardOutput.write(try MetricsReport.data(result.object())) }
        print(result.text)
    }
}

extension TrainingPrompts: ExpressibleByArgument {}
extension TrainingSettings.Loss: ExpressibleByArgument {}
