import Foundation
import SAM
import Tensor
import Volume

/// Which model runs and how: weights (nil: the spec's cached checkpoint), a LoRA adapter merged into them, threads,
/// the memory kept for slice embeddings between the two sweeps of a propagation, and the propagation mode.
public struct EngineSettings: Sendable {
    public var spec: ModelSpec = .liteMedSAM
    public var weights: String?
    public var adapter: String?
    public var threads: Int
    public var cacheMB: Int = 384
    public var propagation: PropagationMode = .auto

    public init(weights: String? = nil, adapter: String? = nil, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                cacheMB: Int = 384, propagation: PropagationMode = .auto) {
        self.weights = weights
        self.adapter = adapter
        self.threads = threads
        self.cacheMB = cacheMB
        self.propagation = propagation
    }

    /// Embeddings `cacheMB` holds.
    public var cacheCapacity: Int { cacheMB * 1_048_576 / spec.embeddingBytes }

    /// The files the model is read from, which no output may replace.
    public var inputs: [InputProtection.Input] {
        [(weights, "the weights"), (adapter, "the adapter")].compactMap { path, role in path.map { InputProtection.Input($0, role) } }
    }

    /// Loads the model (the thread count applied first).
    public func makeSegmenter() throws -> VolumeSegmenter<LiteMedSAM> {
        EngineThreads.set(threads)
        var segmenter = VolumeSegmenter(model: try LiteMedSAM(weights: weights, adapter: adapter, spec: spec), cacheCapacity: cacheCapacity)
        segmenter.propagation = propagation
        return segmenter
    }
}

/// How an image is read (which series, which volume of a 4-D file) and normalized.
public struct ImageReading: Sendable {
    public var loader: VolumeLoader.Options
    public var normalization: NormalizationChoice

    public init(loader: VolumeLoader.Options = .init(), normalization: NormalizationChoice = .init()) {
        self.loader = loader
        self.normalization = normalization
    }

    /// Reads `path`, passing on what the user should know (VolumeLoader.notes).
    public func load(_ path: String, note: (String) -> Void) throws -> Volume {
        let volume = try VolumeLoader.load(path: path, options: loader)
        VolumeLoader.notes(for: volume).forEach(note)
        return volume
    }
}
