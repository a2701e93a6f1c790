import Foundation
import Volume

/// Scores one prediction file against one reference file on the same grid.
public enum CaseEvaluation {
    /// Reads both label maps, brings the prediction onto the reference's grid (ImageGrid.align: the same grid, or
    /// the same voxel centres in another voxel order) and scores every requested label.
    public static func evaluate(prediction: String, reference: String, options: MetricOptions) throws -> [LabelMetrics] {
        let (pred, gt, _) = try load(prediction: prediction, reference: reference)
        return try evaluate(prediction: pred, reference: gt, options: options)
    }

    /// Both label maps, the prediction on the reference's grid; `reordered` when its voxel order had to change.
    public static func load(prediction: String, reference: String) throws -> (prediction: Volume, reference: Volume, reordered: Bool) {
        let gt = try VolumeLoader.load(path: reference)
        let aligned = try ImageGrid(gt).align(try VolumeLoader.load(path: prediction), role: "reference")
        return (aligned.volume, gt, aligned.reordered)
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
}
