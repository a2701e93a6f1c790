import Foundation

/// The metrics of one label of one case. A nil value is undefined for this case (null in JSON, "n/a" in tables);
/// `notes` says why.
public struct LabelMetrics: Sendable, Equatable {
    public var label: Int
    public var name: String?
    public var dice: Double?
    public var iou: Double?
    /// 95th percentile Hausdorff distance (mm; voxels in the transunet convention).
    public var hd95: Double?
    public var hd: Double?
    /// Average symmetric surface distance (pooled distances of both directions).
    public var assd: Double?
    /// Average surface distance from the prediction to the reference (medpy's asd(result, reference)).
    public var asd: Double?
    /// Normalized surface Dice at `nsdTolerance`.
    public var nsd: Double?
    public var predVoxels: Int
    public var gtVoxels: Int
    public var notes: [String] = []

    public init(label: Int, predVoxels: Int, gtVoxels: Int) {
        self.label = label
        self.predVoxels = predVoxels
        self.gtVoxels = gtVoxels
    }

    /// Metric values by their JSON/CSV name.
    public var values: [(String, Double?)] {
        [("dice", dice), ("iou", iou), ("hd95", hd95), ("hd", hd), ("assd", assd), ("asd", asd), ("nsd", nsd)]
    }

    public static let metricNames = ["dice", "iou", "hd95", "hd", "assd", "asd", "nsd"]
}

/// Computes LabelMetrics from the voxel counts and, when both masks are non-empty, the surface distances.
public enum LabelMetricsCalculator {
    public static func compute(label: Int, predVoxels: Int, gtVoxels: Int, intersection: Int,
                               distances: () -> SurfaceDistances?, convention: MetricConvention,
                               nsdTolerance: Double, bothEmpty: BothEmptyRule? = nil) -> LabelMetrics {
        var m = LabelMetrics(label: label, predVoxels: predVoxels, gtVoxels: gtVoxels)
        let predEmpty = predVoxels == 0, gtEmpty = gtVoxels == 0
        if !predEmpty && !gtEmpty, let d = distances() {
            m.dice = 2 * Double(intersection) / Double(predVoxels + gtVoxels)
            m.iou = Double(intersection) / Double(predVoxels + gtVoxels - intersection)
            let pooled = d.pooled
            m.hd = pooled.max()
            m.assd = pooled.reduce(0, +) / Double(pooled.count)
            m.asd = d.predictionToReference.reduce(0, +) / Double(d.predictionToReference.count)
            m.nsd = Double(pooled.filter { $0 <= nsdTolerance }.count) / Double(pooled.count)
            m.hd95 = convention == .monai
                ? max(percentile(d.predictionToReference, 95), percentile(d.referenceToPrediction, 95))
                : percentile(pooled, 95)
            return m
        }
        if predEmpty && gtEmpty { return bothEmptyMetrics(m, rule: bothEmpty ?? convention.defaultBothEmpty, convention: convention) }
        let what = predEmpty ? "prediction empty" : "reference empty"
        switch convention {
        case .medpy:
            m.dice = 0
            m.iou = 0
            m.notes.append("\(what): surface metrics undefined")
        case .monai:
            if gtEmpty {
                m.notes.append("\(what): Dice NaN (MONAI ignore_empty), surface distances inf")
            } else {
                m.dice = 0
                m.iou = 0
                m.notes.append("\(what): surface distances inf")
            }
        case .brats:
            m.dice = 0
            m.iou = 0
            m.hd95 = MetricConvention.bratsMissingHD95
            m.hd = m.hd95
            m.notes.append("\(what): BraTS rule")
        case .transunet:
            m.dice = !predEmpty && gtEmpty ? 1 : 0
            m.iou = m.dice
            m.hd95 = 0
            m.notes.append("\(what): TransUNet rule (Dice \(Int(m.dice!)), HD95 0)")
        }
        return m
    }

    /// A label absent from both maps, counted by `rule`; the distance values a convention sets for it (BraTS: HD95
    /// and HD 0 when perfect; TransUNet: HD95 0) come with it.
    static func bothEmptyMetrics(_ metrics: LabelMetrics, rule: BothEmptyRule, convention: MetricConvention) -> LabelMetrics {
        var m = metrics
        switch rule {
        case .skip:
            m.notes.append("absent from both maps: left out of the means")
            return m
        case .perfect: (m.dice, m.iou) = (1, 1)
        case .zero: (m.dice, m.iou) = (0, 0)
        }
        if convention == .brats {
            m.hd95 = rule == .perfect ? 0 : MetricConvention.bratsMissingHD95
            m.hd = m.hd95
        }
        if convention == .transunet { m.hd95 = 0 }
        m.notes.append("absent from both maps: counted as \(rule == .perfect ? "perfect" : "0") (--both-empty \(rule.rawValue))")
        return m
    }
}
