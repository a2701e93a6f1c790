import SAM
import Tensor
import Volume

/// A promptable 2-D model working in the LiteMedSAM 256x256 frame: encode a slice once, decode many prompts.
public protocol PromptableSliceModel: Sendable {
    associatedtype Embedding: Sendable
    /// Encodes one prepared slice.
    func encode(_ slice: PreparedSlice) -> Embedding
    /// Encodes several slices (the same embeddings as one at a time; a model may run them side by side).
    func encode(_ slices: [PreparedSlice]) -> [Embedding]
    /// Low-resolution logits [256, 256] for each prompt (single-mask output).
    func decode(_ embedding: Embedding, prompts: [ModelPrompt]) -> [Tensor]
}

extension PromptableSliceModel {
    public func encode(_ slices: [PreparedSlice]) -> [Embedding] { slices.map { encode($0) } }
}

extension LiteMedSAM: PromptableSliceModel {
    public func encode(_ slice: PreparedSlice) -> Tensor { encode(slice.input) }

    public func encode(_ slices: [PreparedSlice]) -> [Tensor] { encode(slices.map(\.input)) }

    public func decode(_ embedding: Tensor, prompts: [ModelPrompt]) -> [Tensor] {
        decode(embedding: embedding, prompts: prompts).map { $0.logits[0] }
    }
}

/// The LiteMedSAM 3-D protocol's box for the next slice (get_bbox256 of CVPR24_LiteMedSAM_infer.py): the previous
/// slice's mask resized to the 256 frame with INTER_AREA (a pixel is set when at least half of it is covered), zero
/// padded, its bounding box widened by 3 pixels and clamped to 0...256. Nil when the resized mask is empty.
public enum PropagationBox {
    public static let shift = 3

    public static func modelBox(previousMask mask: [Bool], frame: PreparedSlice) -> [Float]? {
        precondition(mask.count == frame.originalWidth * frame.originalHeight)
        guard mask.contains(true) else { return nil }
        let image = ImageSlice(width: frame.originalWidth, height: frame.originalHeight, pixels: mask.map { $0 ? 1 : 0 })
        let resized = AreaResize.resize(image, width: frame.resizedWidth, height: frame.resizedHeight)
        var x0 = Int.max, y0 = Int.max, x1 = -1, y1 = -1
        for y in 0..<frame.resizedHeight {
            for x in 0..<frame.resizedWidth where resized.pixels[y * frame.resizedWidth + x] >= 0.5 {
                x0 = min(x0, x)
                x1 = max(x1, x)
                y0 = min(y0, y)
                y1 = max(y1, y)
            }
        }
        guard x1 >= 0 else { return nil }
        return [max(0, x0 - shift), max(0, y0 - shift), min(256, x1 + shift), min(256, y1 + shift)].map(Float.init)
    }
}
