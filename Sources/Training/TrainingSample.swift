import Foundation
import Tensor

/// A slice's frozen features kept in half precision, shared by the samples of the slice and widened to Float when a
/// sample is used: the image embedding when only the decoder trains (2 MB for LiteMedSAM's 64 x 64 x 256, so a
/// thousand synthesized slices fit in 2 GB), or the input of the encoder's last stage when the encoder trains too
/// (64 x 64 x 320, 2.6 MB).
public final class StoredFeatures: Sendable {
    public let rows: Int, columns: Int
    let values: [Float16]

    public init(_ matrix: Matrix<Float>) {
        (rows, columns) = (matrix.rows, matrix.columns)
        values = matrix.values.map { Float16($0) }
    }

    public var matrix: Matrix<Float> { Matrix(rows: rows, columns: columns, values: values.map { Float($0) }) }
}

/// A 0/1 target mask kept as bytes (a quarter of its Float size), shared by the prompts of a target.
public final class StoredTarget: Sendable {
    let bytes: [UInt8]

    public init(_ values: [Float]) { bytes = values.map { $0 > 0.5 ? 1 : 0 } }

    public var values: [Float] { bytes.map { Float($0) } }
}

/// One training sample: a slice's frozen features (shared by the prompts of a slice: its embedding, or its encoder
/// last stage's input when the encoder trains), a prompt's sparse tokens and dense embedding, and the target mask in
/// the model's frame (frame x frame, 0/1, zero in the padding; shared by the prompts of a target).
public struct TrainingSample: Sendable {
    /// The kind of prompt (validation reports each kind's Dice).
    public enum Prompt: String, Sendable { case box, point }

    public let features: StoredFeatures
    public let dense: Matrix<Float>
    public let sparse: Matrix<Float>
    public let storedTarget: StoredTarget
    public let prompt: Prompt

    public init(features: StoredFeatures, dense: Matrix<Float>, sparse: Matrix<Float>, target: StoredTarget, prompt: Prompt = .box) {
        (self.features, self.dense, self.sparse, self.storedTarget, self.prompt) = (features, dense, sparse, target, prompt)
    }

    public init(features: StoredFeatures, dense: Matrix<Float>, sparse: Matrix<Float>, target: [Float], prompt: Prompt = .box) {
        self.init(features: features, dense: dense, sparse: sparse, target: StoredTarget(target), prompt: prompt)
    }

    /// The target mask as 0/1 Floats.
    public var target: [Float] { storedTarget.values }
}
