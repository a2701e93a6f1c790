import SAM
import Tensor
import Volume

/// A promptable 2-D model working in a square frame (the LiteMedSAM slice protocol): encode a slice once, decode
/// many prompts.
public protocol PromptableSliceModel: Sendable {
    associatedtype Embedding: Sendable
    /// Side of the frame slices are prepared in (ModelSpec.frameSize).
    var frameSize: Int { get }
    /// Encodes one prepared slice.
    func encode(_ slice: PreparedSlice) -> Embedding
    /// Encodes several slices (the same embeddings as one at a time; a model may run them side by side).
    func encode(_ slices: [PreparedSlice]) -> [Embedding]
    /// Low-resolution logits [frame, frame] for each prompt (single-mask output).
    func decode(_ embedding: Embedding, prompts: [ModelPrompt]) -> [Tensor]
}

extension PromptableSliceModel {
    public func encode(_ slices: [PreparedSlice]) -> [Embedding] { slices.map { encode($0) } }
}

extension LiteMedSAM: PromptableSliceModel {
    public var frameSize: Int { spec.frameSize }

    public func encode(_ slice: PreparedSlice) -> Tensor { encode(slice.input) }

    public func encode(_ slices: [PreparedSlice]) -> [Tensor] { encode(slices.map(\.input)) }

    public func decode(_ embedding: Tensor, prompts: [ModelPrompt]) -> [Tensor] {
        decode(embedding: embedding, prompts: prompts).map { $0.logits[0] }
    }
}
