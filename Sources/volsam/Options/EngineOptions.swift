import ArgumentParser
import Foundation
import Parallelism
import Pipeline

/// Options that choose the weights and the threads every parallel loop uses.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: "A weights file (.pth or .safetensors) instead of the cached checkpoint.")
    var weights: String?

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Threads for every parallel loop (default: all cores).", valueName: "n"))
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    /// The thread count, applied to VolSAM's one thread pool.
    func applyThreads() -> Int {
        let count = threads ?? ProcessInfo.processInfo.activeProcessorCount
        ParallelLoop.threads = count
        return count
    }
}

/// Options that choose and run the model for segmentation.
struct EngineOptions: ParsableArguments {
    @OptionGroup var model: ModelOptions

    @Option(name: .long, help: "A LoRA adapter (.safetensors, from `volsam finetune`) merged into the weights it was trained on.")
    var adapter: String?

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Memory (MB) for slice embeddings kept between the upward and downward sweeps.",
                                            valueName: "mb"))
    var cacheMb: Int = 384

    @Option(name: .long, help: ArgumentHelp(
        "How 3-D boxes go from slice to slice: auto (boxes widened as their structure grows or when they cut it off; a "
            + "structure ends at its first empty slice) or reference (the LiteMedSAM 3-D protocol exactly).", valueName: "mode"))
    var propagation: PropagationMode = .auto

    func validate() throws {
        guard cacheMb >= 0 else { throw ValidationError("--cache-mb must be 0 or more") }
        if let adapter, !adapter.hasSuffix(".safetensors") { throw ValidationError("--adapter must be a .safetensors file, not '\(adapter)'") }
    }

    /// The settings, with the thread count applied.
    func settings() -> EngineSettings {
        EngineSettings(weights: model.weights, adapter: adapter, threads: model.applyThreads(), cacheMB: cacheMb, propagation: propagation)
    }
}
extension PropagationMode: ExpressibleByArgument {}
