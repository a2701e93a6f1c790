import Foundation
import SAM
import Tensor

/// Where a model is adapted: the mask decoder, the encoder's last attention stage (LoRA on its per-head q and v, the
/// stage and the neck run per step on each slice's cached input), or both.
public enum AdaptationPlace: String, Sendable, CaseIterable {
    case decoder, encoder, both

    public var adaptsEncoder: Bool { self != .decoder }
    public var adaptsDecoder: Bool { self != .encoder }
}

/// What a training step runs: the plain decoder (with its LoRA, adapters or singular-value tuning) and, when the
/// encoder is adapted, the plain last stage and neck before it; samples then hold that stage's input instead of
/// the embedding.
public struct TrainableModel: Sendable {
    public var decoder: PlainMaskDecoder<Float>
    public var encoder: PlainEncoderSuffix<Float>?
    public let imagePE: Matrix<Float>

    public init(decoder: PlainMaskDecoder<Float>, encoder: PlainEncoderSuffix<Float>? = nil, imagePE: Matrix<Float>) {
        (self.decoder, self.encoder, self.imagePE) = (decoder, encoder, imagePE)
    }

    /// A sample's mask logits (frame x frame).
    public func logits(_ sample: TrainingSample) -> [Float] {
        decoder.forward(embedding: embedding(of: sample).embedding, dense: sample.dense, imagePE: imagePE, sparse: sample.sparse).logits
    }

    /// The embedding a sample's features give: the features themselves, or the adapted last stage's output.
    func embedding(of sample: TrainingSample) -> (embedding: Matrix<Float>, cache: PlainEncoderSuffix<Float>.Cache?) {
        let features = sample.features.matrix
        guard let encoder else { return (features, nil) }
        let (embedding, cache) = encoder.forward(features)
        return (embedding, cache)
    }

    /// One sample's loss and the gradients of everything that trains, by tensor name.
    public func lossAndGradients(_ sample: TrainingSample, settings: TrainingSettings) -> (loss: Double, gradients: [String: [Float]]) {
        let (embedding, encoderCache) = embedding(of: sample)
        let (logits, cache) = decoder.forward(embedding: embedding, dense: sample.dense, imagePE: imagePE, sparse: sample.sparse)
        let (loss, dLogits) = AdapterTrainer.loss(logits: logits, target: sample.target, settings: settings)
        guard let encoder, let encoderCache else { return (loss, decoder.backward(dLogits, cache: cache).values) }
        var (gradients, dEmbedding) = decoder.backwardToEmbedding(dLogits, cache: cache)
        encoder.backward(dEmbedding, cache: encoderCache, into: &gradients)
        return (loss, gradients.values)
    }

    /// Visits everything that trains, in a fixed order: the decoder's (PlainMaskDecoder.visitTrainable), then the
    /// encoder's LoRA factors.
    public mutating func visitTrainable(_ body: (String, inout [Float]) -> Void) {
        decoder.visitTrainable(body)
        encoder?.visitLoRA(body)
    }
}
