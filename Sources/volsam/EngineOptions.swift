import ArgumentParser
import Foundation
import Pipeline
import SAM
import Tensor

/// Options that choose and run the model.
struct EngineOptions: ParsableArguments {
    @Option(name: .long, help: "A weights file instead of the cached checkpoint.")
    var weights: String?

    @Option(name: .long, help: "Threads for OpenBLAS and VolSAM's own loops (default: all cores).")
    var threads: Int?

    @Option(name: .long, help: "Memory (MB) for slice embeddings kept between the upward and downward sweeps.")
    var cacheMb: Int = 384

    /// Loads the model with the thread count applied.
    func segmenter() throws -> VolumeSegmenter<LiteMedSAM> {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        guard cacheMb >= 0 else { throw ValidationError("--cache-mb must be >= 0") }
        EngineThreads.set(threads ?? ProcessInfo.processInfo.activeProcessorCount)
        let embeddingMB = 64 * 64 * 256 * 4 / 1_048_576
        return VolumeSegmenter(model: try LiteMedSAM(weights: weights), cacheCapacity: cacheMb / embeddingMB)
    }
}
