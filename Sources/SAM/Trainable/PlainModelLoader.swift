import Foundation
import Tensor

/// Loads the plain (trainable) model's parts from a checkpoint in any scalar type.
public enum PlainModelLoader {
    /// The mask decoder of `weights` (nil: the spec's verified cached checkpoint); every tensor it names must be
    /// there with its shape.
    public static func maskDecoder<S: TrainingScalar>(weights: String? = nil, spec: ModelSpec = .liteMedSAM) throws -> PlainMaskDecoder<S> {
        try load(weights: weights, spec: spec, part: "the plain mask decoder") { source in
            PlainMaskDecoder<S>(source, dim: spec.decoderDim, grid: spec.embeddingGrid, heads: 8, mlpDim: spec.decoderMLPDim,
                                depth: spec.decoderDepth, maskTokens: spec.maskTokens)
        }
    }

    /// The encoder's last attention stage and neck (what trains when the encoder is adapted), same rules.
    public static func encoderSuffix<S: TrainingScalar>(weights: String? = nil, spec: ModelSpec = .liteMedSAM) throws -> PlainEncoderSuffix<S> {
        try load(weights: weights, spec: spec, part: "the plain encoder's last stage") { PlainEncoderSuffix<S>($0, spec: spec) }
    }

    /// Builds `part` from the checkpoint's tensors, collecting every missing or misshapen tensor into one error.
    static func load<S: TrainingScalar, Part>(weights: String?, spec: ModelSpec, part: String,
                                               _ build: (ParameterSource<S>) -> Part) throws -> Part {
        let file = try ModelWeights.locate(explicit: weights, spec: spec)
        let tensors = try CheckpointReader.read(path: file, verifyCRC: weights != nil)
        var problems: [String] = []
        let built = build({ name, shape in
            guard let tensor = tensors[name] else {
                problems.append("missing \(name) \(shape)")
                return [S](repeating: 0, count: shape.reduce(1, *))
            }
            guard tensor.shape == shape else {
                problems.append("\(name) has shape \(tensor.shape), expected \(shape)")
                return [S](repeating: 0, count: shape.reduce(1, *))
            }
            return tensor.values.map { S($0) }
        })
        guard problems.isEmpty else {
            throw CheckpointError(file, "does not fit \(part): " + problems.prefix(8).joined(separator: "; "))
        }
        return built
    }
}
