import Foundation
import Parallelism
import Tensor

/// LiteMedSAM (TinyViT encoder, SAM prompt encoder and mask decoder) with weights from a checkpoint.
public final class LiteMedSAM: @unchecked Sendable {
    /// Sizes, frame and checkpoint of this model.
    public let spec: ModelSpec
    let encoder: TinyViTEncoder
    let promptEncoder: PromptEncoder
    let decoder: MaskDecoder

    /// The engine's kernel set, chosen once for this CPU when the first model loads (KernelSelection).
    static let kernels: EngineKernels = KernelSelection.install()

    /// Loads a checkpoint (the spec's cached checkpoint unless `path` is given), with an adapter merged in when
    /// one is given (LoRA or S-SAM merged into the weights, Med-SA adapters added as layers; it must name these
    /// weights' SHA-256); every tensor must fit.
    public init(weights path: String? = nil, adapter: String? = nil, spec: ModelSpec = .liteMedSAM) throws {
        MemoryReuse.configure()
        _ = Self.kernels
        self.spec = spec
        let file = try ModelWeights.locate(explicit: path, spec: spec)
        guard spec.decoderDim == 256, spec.embeddingGrid == 64, spec.frameSize == 4 * spec.embeddingGrid else {
            throw CheckpointError(file, "\(spec.name): the engine's decoder runs SAM's 256-wide decoder on a 64x64 embedding "
                                  + "of a 256 frame, not decoder width \(spec.decoderDim), grid \(spec.embeddingGrid), frame \(spec.frameSize)")
        }
        var tensors = try CheckpointReader.read(path: file, verifyCRC: path != nil)
        if let adapter {
            let trained = try AdapterFile.read(path: adapter)
            let digest = try ModelWeights.sha256(of: file)
            guard trained.baseSHA256 == digest else {
                throw CheckpointError(adapter, "was trained on other base weights (SHA-256 \(trained.baseSHA256.prefix(16))..., these are "
                                      + "\(digest.prefix(16))...)")
            }
            tensors = try trained.merged(into: tensors, adapterPath: adapter)
        }
        let store = ParameterStore(tensors, source: file)
        encoder = TinyViTEncoder(store, spec: spec)
        promptEncoder = PromptEncoder(store)
        decoder = MaskDecoder(store, spec: spec, positional: promptEncoder.densePositional)
        try store.finish()
    }

    /// The sparse prompt tokens [n, 256] and dense prompt embedding [4096, 256] of a prompt (the frozen prompt
    /// encoder; what the trainable decoder takes).
    public func promptEmbeddings(_ prompt: ModelPrompt) -> (sparse: Tensor, dense: Tensor) { promptEncoder(prompt) }

    /// The positional encoding of the embedding grid, [4096, 256].
    public var imagePositionalEncoding: Tensor { promptEncoder.densePositional }

    /// The image embedding [64, 64, 256] of a preprocessed 256x256x3 image (channels-last).
    public func encode(_ image: Tensor, timer: StageTimer? = nil) -> Tensor { encoder(image, timer: timer) }

    /// Several images at once: with two or more threads, each thread encodes whole images alone (higher
    /// throughput than splitting every kernel of one image; the same embeddings).
    public func encode(_ images: [Tensor]) -> [Tensor] { ParallelLoop.jobs(count: images.count) { encoder(images[$0]) } }

    /// The input of the encoder's last attention stage [64, 64, 320] for each image (what stays frozen when that
    /// stage and the neck train: PlainEncoderSuffix takes it to the embedding), several images as `encode` does.
    public func encodeToLastStage(_ images: [Tensor]) -> [Tensor] {
        ParallelLoop.jobs(count: images.count) { encoder.prefix(images[$0], upTo: spec.encoderDims.count - 1) }
    }

    /// Low-resolution logits [256, 256] and predicted IoU for one prompt against an embedding.
    /// `multimask`: the three multimask outputs instead of the single one.
    public func decode(embedding: Tensor, prompt: ModelPrompt, multimask: Bool = false) -> (logits: [Tensor], iou: [Float]) {
        decode(embedding: embedding, prompts: [prompt], multimask: multimask)[0]
    }

    /// Many prompts against one embedding: prompts without a mask input share the image-side work
    /// (DecoderImageCache); a prompt with a mask input takes PyTorch's order of operations.
    public func decode(embedding: Tensor, prompts: [ModelPrompt], multimask: Bool = false,
                       timer: StageTimer? = nil) -> [(logits: [Tensor], iou: [Float])] {
        decode(embedding: embedding, prompts: prompts, multimask: multimask, shareImage: true, timer: timer)
    }

    /// `shareImage: false` sends every prompt through PyTorch's order of operations (the reference in tests).
    func decode(embedding: Tensor, prompts: [ModelPrompt], multimask: Bool, shareImage: Bool,
                timer: StageTimer? = nil) -> [(logits: [Tensor], iou: [Float])] {
        let outputs = multimask ? [1, 2, 3] : [0]
        let cache = shareImage && !decoder.hasAdapters && prompts.contains { $0.mask == nil }
            ? timer.measure("decoder image cache") {
                DecoderImageCache(embedding: embedding, noMaskDense: promptEncoder.noMaskDense, weights: decoder.shared)
            } : nil
        // Prompts sharing the cache run in one group per thread (their token sides stacked); the others, one
        // job each, in PyTorch's order of operations.
        let shared = cache == nil ? [] : prompts.indices.filter { prompts[$0].mask == nil }
        let others = prompts.indices.filter { !shared.contains($0) }
        let groupCount = min(ParallelLoop.threads, shared.count)
        let groups = (0..<groupCount).map { g in Array(shared[(shared.count * g / groupCount)..<(shared.count * (g + 1) / groupCount)]) }
        let results = ParallelLoop.jobs(count: groupCount + others.count) { job -> [(logits: [Tensor], iou: [Float])] in
            guard job < groupCount, let cache else {
                let prompt = prompts[others[job - groupCount]]
                let (sparse, dense) = promptEncoder(prompt)
                let (masks, iou) = decoder(embedding: embedding, sparse: sparse, dense: dense, outputs: outputs)
                return [(masks, iou)]
            }
            let sparse = groups[job].map { promptEncoder(prompts[$0]).sparse }
            return decoder.decodeShared(sparse: sparse, cache: cache, outputs: outputs, timer: timer).map { ($0.masks, $0.iou) }
        }
        var ordered = [(logits: [Tensor], iou: [Float])?](repeating: nil, count: prompts.count)
        for (g, group) in groups.enumerated() { for (i, index) in group.enumerated() { ordered[index] = results[g][i] } }
        for (j, index) in others.enumerated() { ordered[index] = results[groupCount + j][0] }
        return ordered.map { $0! }
    }
}
