import Foundation
import Tensor

/// LiteMedSAM (TinyViT encoder, SAM prompt encoder and mask decoder) with weights from a checkpoint.
public final class LiteMedSAM: @unchecked Sendable {
    let encoder: TinyViTEncoder
    let promptEncoder: PromptEncoder
    let decoder: MaskDecoder

    /// Loads a checkpoint (the cached LiteMedSAM weights unless `path` is given); every tensor must fit.
    public init(weights path: String? = nil) throws {
        MemoryReuse.configure()
        let file = try ModelWeights.locate(explicit: path)
        let store = ParameterStore(try CheckpointReader.read(path: file), source: file)
        encoder = TinyViTEncoder(store)
        promptEncoder = PromptEncoder(store)
        decoder = MaskDecoder(store, positional: promptEncoder.densePositional)
        try store.finish()
    }

    /// The image embedding [64, 64, 256] of a preprocessed 256x256x3 image (channels-last).
    public func encode(_ image: Tensor, timer: StageTimer? = nil) -> Tensor { encoder(image, timer: timer) }

    /// Several images at once: with two or more threads, each thread encodes whole images alone (higher
    /// throughput than splitting every kernel of one image; the same embeddings).
    public func encode(_ images: [Tensor]) -> [Tensor] { ParallelLoop.jobs(count: images.count) { encoder(images[$0]) } }

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
        let cache = shareImage && prompts.contains { $0.mask == nil }
            ? timer.measure("decoder image cache") {
                DecoderImageCache(embedding: embedding, noMaskDense: promptEncoder.noMaskDense, weights: decoder.shared)
            } : nil
        // Prompts run side by side, one per thread (their small token-side kernels do not split well).
        return ParallelLoop.jobs(count: prompts.count) { index in
            let prompt = prompts[index]
            let (sparse, dense) = promptEncoder(prompt)
            if let cache, prompt.mask == nil {
                let (masks, iou) = decoder.decodeShared(sparse: sparse, cache: cache, outputs: outputs, timer: timer)
                return (masks, iou)
            }
            let (masks, iou) = decoder(embedding: embedding, sparse: sparse, dense: dense, outputs: outputs)
            return (masks, iou)
        }
    }
}
