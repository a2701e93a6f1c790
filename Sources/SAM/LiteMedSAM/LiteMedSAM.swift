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
        decoder = MaskDecoder(store)
        try store.finish()
    }

    /// The image embedding [64, 64, 256] of a preprocessed 256x256x3 image (channels-last).
    public func encode(_ image: Tensor, timer: StageTimer? = nil) -> Tensor { encoder(image, timer: timer) }

    /// Low-resolution logits [256, 256] and predicted IoU for one prompt against an embedding.
    /// `multimask`: the three multimask outputs instead of the single one.
    public func decode(embedding: Tensor, prompt: ModelPrompt, multimask: Bool = false) -> (logits: [Tensor], iou: [Float]) {
        decode(embedding: embedding, prompts: [prompt], multimask: multimask)[0]
    }

    /// Many prompts against one embedding: the prompt-independent image-side work is done once.
    public func decode(embedding: Tensor, prompts: [ModelPrompt], multimask: Bool = false) -> [(logits: [Tensor], iou: [Float])] {
        let cache = prompts.contains { $0.mask == nil }
            ? decoder.imageCache(embedding: embedding, positional: promptEncoder.densePositional,
                                 noMaskDense: promptEncoder.noMaskDense) : nil
        let chosen = multimask ? [1, 2, 3] : [0]
        return prompts.map { prompt in
            let (sparse, dense) = promptEncoder(prompt)
            let (masks, iou) = decoder(embedding: embedding, positional: promptEncoder.densePositional, sparse: sparse,
                                       dense: prompt.mask == nil ? nil : dense, cache: prompt.mask == nil ? cache : nil)
            return (chosen.map { Tensor(shape: [256, 256], data: Array(masks.data[($0 * 65536)..<(($0 + 1) * 65536)])) },
                    chosen.map { iou.data[$0] })
        }
    }
}
