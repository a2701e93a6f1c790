import Foundation
import Tensor

/// Loads the plain (trainable) model's parts from a checkpoint in any scalar type.
public enum PlainModelLoader {
    /// The mask decoder of `weights` (nil: the spec's verified cached checkpoint); every tensor it names must be
    /// there with its shape.
    public static func maskDecoder<S: TrainingScalar>(weights: String? = nil, spec: ModelSpec = .liteMedSAM) throws -> PlainMaskDecoder<S> {
        let file = try ModelWeights.locate(explicit: weights, spec: spec)
        let tensors = try CheckpointReader.read(path: file, verifyCRC: weights != nil)
        var problems: [String] = []
        let decoder = PlainMaskDecoder<S>({ name, shape in
            guard let tensor = tensors[name] else {
                problems.append("missing \(name) \(shape)")
                return [S](repeating: 0, count: shape.reduce(1, *))
            }
            guard tensor.shape == shape else {
                problems.append("\(name) has shape \(tensor.shape), expected \(shape)")
                return [S](repeating: 0, count: shape.reduce(1, *))
            }
            return tensor.values.map { S($0) }
        }, dim: spec.decoderDim, grid: spec.embeddingGrid, heads: 8, mlpDim: spec.decoderMLPDim, depth: spec.decoderDepth,
           maskTokens: spec.maskTokens)
        guard problems.isEmpty else {
            throw CheckpointError(file, "does not fit the plain mask decoder: " + problems.prefix(8).joined(separator: "; "))
        }
        return decoder
    }
}
