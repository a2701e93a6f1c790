import ArgumentParser
import Foundation
import Metrics
import Pipeline
import SAM
import Training

/// `volsam finetune`: a LoRA adapter for the mask decoder from a few labelled slices.
struct Finetune: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Adapt the model to a structure from labelled exemplars: a LoRA, Med-SA or S-SAM adapter (decoder; LoRA also encoder).",
        discussion: """
        Exemplar slices are picked from the training cases (--case pairs, or the labelled cases of a --dataset \
        folder; seeded; slices where the target covers 10 pixels or \
        more), optionally joined by slices synthesized from them (--synthesize: each structure cut out, blurred, \
        scaled, turned, flipped and shifted in intensity, pasted onto a target-free slice), encoded once by the \
        frozen encoder, and the decoder's attention q and v projections get a LoRA (Cheap Lunch's recipe: rank 4, \
        cross-entropy + 0.8 Dice, AdamW 1e-3 with warm-up and exponential decay; --method adapter trains Med-SA's \
        bottleneck adapters after every attention and beside every MLP instead, --method svd the projections' \
        singular values and the layer norms, as S-SAM; --where encoder or both puts a LoRA on the per-head q and v \
        of the encoder's last stage too, caching each slice's input to that stage), trained with the prompts \
        `segment` derives (boxes with up to 5 px of jitter, furthest and random points). Use the adapter with \
        `segment --adapter` or `batch --adapter`. Never score on a case you trained on. Writes OUT.safetensors, \
        OUT.log.csv (loss per step), OUT.run.json (provenance) and with --validate OUT.validation.csv; while it \
        runs, OUT.checkpoint.safetensors (for --resume).
        """)

    @OptionGroup var data: TrainingSetOptions

    @Option(name: .long, help: "Prompts to train with: box, point or mixed.")
    var prompts: TrainingPrompts = .mixed

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Optimizer steps (default 300).", valueName: "n"))
    var steps: Int?

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Passes over the training samples, instead of --steps.", valueName: "n"))
    var epochs: Int?

    @Option(name: .customLong("validate"), parsing: .unconditional,
            help: ArgumentHelp("Held-out slices (never exemplars) scored before training and after every epoch.", valueName: "k"))
    var validationSlices = 0

    @Flag(name: .long, help: "Continue an interrupted run from OUT.checkpoint.safetensors (same options).")
    var resume = false

    @Option(name: .customLong("checkpoint-minutes"), parsing: .unconditional,
            help: ArgumentHelp("Minutes between checkpoints (0: after every step).", valueName: "m"))
    var checkpointMinutes = 2.0

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Samples per step.", valueName: "n"))
    var batch = 4

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Peak learning rate (AdamW).", valueName: "rate"))
    var lr = 1e-3

    @Option(name: .long, help: "lora (W + B A on the attention q and v projections), adapter (Med-SA: 256 -> 64 -> 256 bottlenecks after each attention and beside each MLP) or svd (S-SAM: the projections' singular values and the layer norms).")
    var method: AdaptationMethod = .lora

    @Option(name: .customLong("where"), help: """
        What adapts: decoder, encoder (a LoRA on the per-head q and v of the encoder's last stage; that stage and the \
        neck then run on every training step) or both. encoder and both need --method lora.
        """)
    var place: AdaptationPlace = .decoder

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("LoRA rank (default 4).", valueName: "r"))
    var rank: Int?

    @Option(name: .long, help: "Loss: ce-dice or focal-dice.")
    var loss: TrainingSettings.Loss = .crossEntropyDice

    @Option(name: .shortAndLong, help: "The adapter to write (.safetensors).")
    var output: String

    @OptionGroup var report: ReportOptions
    @OptionGroup var model: ModelOptions

    func validate() throws {
        guard output.hasSuffix(".safetensors") else { throw ValidationError("-o must end in .safetensors, not '\(output)'") }
        if steps != nil && epochs != nil { throw ValidationError("give --steps or --epochs, not both") }
        if rank != nil && method != .lora { throw ValidationError("--rank is the LoRA's; --method \(method.rawValue) has none") }
        if place.adaptsEncoder && method != .lora {
            throw ValidationError("--where \(place.rawValue) adapts the encoder with a LoRA; --method \(method.rawValue) is the decoder's only")
        }
        for (name, value, low, high) in [("--steps", steps ?? 1, 1, 1_000_000), ("--epochs", epochs ?? 1, 1, 10_000), ("--batch", batch, 1, 256),
                                         ("--rank", rank ?? 4, 1, 64), ("--validate", validationSlices, 0, 4096)]
        where value < low || value > high {
            throw ValidationError("\(name) must be from \(low) to \(high), not \(value)")
        }
        guard lr > 0, lr < 1 else { throw ValidationError("--lr must be above 0 and below 1, not \(lr)") }
        guard checkpointMinutes >= 0, checkpointMinutes.isFinite else {
            throw ValidationError("--checkpoint-minutes must be 0 or more, not \(checkpointMinutes)")
        }
    }

    func run() throws {
        var request = FinetuneRun.Request(output: output)
        (request.data, request.prompts) = (data.request, prompts)
        (request.method, request.place, request.lora) = (method, place, LoRASettings(rank: rank ?? 4, seed: data.seed))
        (request.training.steps, request.training.batch, request.training.learningRate) = (steps ?? 300, batch, lr)
        (request.training.loss, request.training.seed) = (loss, data.seed)
        (request.epochs, request.validate, request.resume, request.checkpointSeconds) = (epochs, validationSlices, resume, checkpointMinutes * 60)
        let engine = EngineSettings(weights: model.weights, threads: model.applyThreads())
        let quiet = report.quiet || report.json
        let encoding = ProgressBar(unit: "slices encoded", quiet: quiet), training = ProgressBar(unit: "steps", quiet: quiet)
        var recent: [Double] = []
        var observer = FinetuneRun.Observer()
        (observer.note, observer.encoding, observer.encoded) = (note, { encoding.begin(total: $0) }, { encoding.advance() })
        observer.training = { training.begin(total: $0) }
        observer.step = { step in
            recent = Array((recent + [step.loss]).suffix(10))
            training.advance(detail: String(format: "loss %.4f (last %d steps)", recent.reduce(0, +) / Double(recent.count), recent.count))
        }
        observer.validated = { score in
            if !quiet { note("validation Dice \(score.step == 0 ? "before training" : String(format: "after epoch %.0f", score.epoch)): \(score.text)") }
        }
        let result = try FinetuneRun(request: request, engine: engine).run(arguments: CommandLine.arguments, observer: observer)
        if report.json { return FileHandle.standardOutput.write(try MetricsReport.data(result.object())) }
        print(result.text)
    }
}

extension TrainingPrompts: ExpressibleByArgument {}
extension AdaptationMethod: ExpressibleByArgument {}
extension AdaptationPlace: ExpressibleByArgument {}
extension TrainingSettings.Loss: ExpressibleByArgument {}
