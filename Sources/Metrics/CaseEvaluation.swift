import Foundation
import Volume

/// Scores one prediction file against one reference file on the same grid.
public enum CaseEvaluation {
    /// Affine elements may differ by this much (mm) before the grids count as different.
    public static let affineTolerance = 1e-4

    /// Reads both label maps, checks that they share shape and affine, and scores every requested label.
    public static func evaluate(prediction: String, reference: String, options: MetricOptions) throws -> [LabelMetrics] {
        let pred = try VolumeLoader.load(path: prediction)
        let gt = try VolumeLoader.load(path: reference)
        try checkSameGrid(pred, gt, predictionPath: prediction)
        return try evaluate(prediction: pred, reference: gt, options: options)
    }

    public static func evaluate(prediction: Volume, reference: Volume, options: MetricOptions) throws -> [LabelMetrics] {
        do {
            return try LabelMapEvaluator.evaluate(
                prediction: prediction.voxels, reference: reference.voxels, shape: prediction.shape,
                spacing: [prediction.spacing.x, prediction.spacing.y, prediction.spacing.z], options: options)
        } catch let error as VolumeError {
            throw VolumeError(prediction.source.path + " / " + reference.source.path, error.problem)
        }
    }

    /// Per axial slice of the processing layout (2-D metrics with in-plane spacing).
    public static func evaluatePerSlice(prediction: Volume, reference: Volume,
                                        options: MetricOptions) throws -> [(slice: Int, metrics: LabelMetrics)] {
        let pred = prediction.canonical(), gt = reference.canonical()
        return try LabelMapEvaluator.evaluatePerSlice(
            prediction: pred.voxels, reference: gt.voxels, shape: pred.shape,
            spacing: [pred.spacing.x, pred.spacing.y, pred.spacing.z], options: options)
    }

    /// A clear error when two label maps are not on the same grid (never a silent misalignment).
    public static func checkSameGrid(_ pred: Volume, _ gt: Volume, predictionPath: String) throws {
        guard pred.shape == gt.shape else {
            throw VolumeError(predictionPath, "shape \(pred.shape) differs from the reference \(gt.source.path) \(gt.shape)")
        }
        let difference = pred.affine.maxDifference(gt.affine)
        guard difference <= affineTolerance else {
            throw VolumeError(predictionPath, String(
                format: "affine differs from the reference %@ by up to %.3g mm (tolerance %.0e): not the same grid",
                gt.source.path, difference, affineTolerance))
        }
    }
}
