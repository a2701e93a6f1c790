import Foundation
import Volume

/// Options for scoring a prediction against a reference label map.
public struct MetricOptions: Sendable {
    public var convention: MetricConvention = .medpy
    /// NSD tolerance in mm (voxels in the transunet convention).
    public var nsdTolerance: Double = 1.0
    /// Labels to score; nil: every non-zero label present in either map.
    public var labels: [Int]?
    public var labelNames: [Int: String] = [:]

    public init(convention: MetricConvention = .medpy, nsdTolerance: Double = 1.0, labels: [Int]? = nil,
                labelNames: [Int: String] = [:]) {
        self.convention = convention
        self.nsdTolerance = nsdTolerance
        self.labels = labels
        self.labelNames = labelNames
    }
}

/// Per-label counts and extents of two label maps, from one pass over the voxels.
struct LabelCensus {
    var predCount: [Int: Int] = [:]
    var gtCount: [Int: Int] = [:]
    var intersection: [Int: Int] = [:]
    var predBox: [Int: GridBox] = [:]
    var gtBox: [Int: GridBox] = [:]

    init(prediction: [Float], reference: [Float], shape: [Int], slices: Range<Int>? = nil) throws {
        let (nx, ny) = (shape[0], shape[1])
        let kRange = slices ?? 0..<shape[2]
        var pc = [Int](repeating: 0, count: 256), gc = pc, ic = pc
        var boxes = [[Int]](repeating: [Int.max, Int.max, Int.max, -1, -1, -1], count: 512)  // pred 0..<256, gt 256..<512
        func widen(_ slot: Int, _ i: Int, _ j: Int, _ k: Int) {
            boxes[slot][0] = min(boxes[slot][0], i); boxes[slot][3] = max(boxes[slot][3], i)
            boxes[slot][1] = min(boxes[slot][1], j); boxes[slot][4] = max(boxes[slot][4], j)
            boxes[slot][2] = min(boxes[slot][2], k); boxes[slot][5] = max(boxes[slot][5], k)
        }
        func slotLabel(_ value: Float) throws -> Int {
            guard value >= 0, value == value.rounded(), value < 16_777_216 else {
                throw VolumeError("label map", "voxel value \(value) is not a label (labels are non-negative integers)")
            }
            return Int(value)
        }
        for k in kRange {
            for j in 0..<ny {
                let row = nx * (j + ny * k)
                for i in 0..<nx {
                    let p = prediction[row + i], g = reference[row + i]
                    if p == 0 && g == 0 { continue }
                    let lp = try slotLabel(p), lg = try slotLabel(g)
                    if lp >= 256 || lg >= 256 {
                        Self.slow(&self, lp, lg, i, j, k)
                        continue
                    }
                    if lp != 0 { pc[lp] += 1; widen(lp, i, j, k) }
                    if lg != 0 { gc[lg] += 1; widen(256 + lg, i, j, k) }
                    if lp == lg { ic[lp] += 1 }
                }
            }
        }
        for l in 1..<256 {
            if pc[l] > 0 {
                predCount[l, default: 0] += pc[l]
                predBox[l] = GridBox(lower: Array(boxes[l][0..<3]), upper: boxes[l][3..<6].map { $0 + 1 }).union(predBox[l] ?? .empty)
            }
            if gc[l] > 0 {
                gtCount[l, default: 0] += gc[l]
                gtBox[l] = GridBox(lower: Array(boxes[256 + l][0..<3]), upper: boxes[256 + l][3..<6].map { $0 + 1 }).union(gtBox[l] ?? .empty)
            }
            if ic[l] > 0 { intersection[l, default: 0] += ic[l] }
        }
    }

    /// Labels of 256 and above (rare): dictionaries instead of the fast tables.
    private static func slow(_ census: inout LabelCensus, _ lp: Int, _ lg: Int, _ i: Int, _ j: Int, _ k: Int) {
        let voxel = GridBox(lower: [i, j, k], upper: [i + 1, j + 1, k + 1])
        if lp != 0 {
            census.predCount[lp, default: 0] += 1
            census.predBox[lp] = (census.predBox[lp] ?? .empty).union(voxel)
        }
        if lg != 0 {
            census.gtCount[lg, default: 0] += 1
            census.gtBox[lg] = (census.gtBox[lg] ?? .empty).union(voxel)
        }
        if lp == lg && lp != 0 { census.intersection[lp, default: 0] += 1 }
    }

    var presentLabels: [Int] { Array(Set(predCount.keys).union(gtCount.keys)).sorted() }
}

/// Scores a predicted label map against a reference on the same grid.
public enum LabelMapEvaluator {
    /// 3-D metrics per label. `spacing` in mm along axes 0, 1, 2 of the arrays.
    public static func evaluate(prediction: [Float], reference: [Float], shape: [Int], spacing: [Double],
                                options: MetricOptions) throws -> [LabelMetrics] {
        precondition(prediction.count == reference.count && prediction.count == shape.reduce(1, *))
        let census = try LabelCensus(prediction: prediction, reference: reference, shape: shape)
        let labels = options.labels ?? census.presentLabels
        let effectiveSpacing = options.convention == .transunet ? [1.0, 1.0, 1.0] : spacing
        return labels.map { label in
            let predBox = census.predBox[label] ?? .empty, gtBox = census.gtBox[label] ?? .empty
            var metrics = LabelMetricsCalculator.compute(
                label: label, predVoxels: census.predCount[label] ?? 0, gtVoxels: census.gtCount[label] ?? 0,
                intersection: census.intersection[label] ?? 0,
                distances: {
                    let box = predBox.union(gtBox)
                    return SurfaceDistances(
                        prediction: CroppedMask(labels: prediction, gridShape: shape, label: Float(label), box: box),
                        reference: CroppedMask(labels: reference, gridShape: shape, label: Float(label), box: box),
                        spacing: effectiveSpacing)
                }, convention: options.convention, nsdTolerance: options.nsdTolerance)
            metrics.name = options.labelNames[label]
            return metrics
        }
    }

    /// 2-D metrics per axial slice (axis 2) and label, for the papers that score slices; only slices where the
    /// label is present in either map. In-plane spacing only; surfaces eroded in-plane.
    public static func evaluatePerSlice(prediction: [Float], reference: [Float], shape: [Int], spacing: [Double],
                                        options: MetricOptions) throws -> [(slice: Int, metrics: LabelMetrics)] {
        let effectiveSpacing = options.convention == .transunet ? [1.0, 1.0, 1.0] : spacing
        var rows: [(Int, LabelMetrics)] = []
        let wanted = options.labels.map(Set.init)
        for k in 0..<shape[2] {
            let census = try LabelCensus(prediction: prediction, reference: reference, shape: shape, slices: k..<(k + 1))
            for label in census.presentLabels where wanted?.contains(label) ?? true {
                let box = (census.predBox[label] ?? .empty).union(census.gtBox[label] ?? .empty)
                var metrics = LabelMetricsCalculator.compute(
                    label: label, predVoxels: census.predCount[label] ?? 0, gtVoxels: census.gtCount[label] ?? 0,
                    intersection: census.intersection[label] ?? 0,
                    distances: {
                        SurfaceDistances(
                            prediction: CroppedMask(labels: prediction, gridShape: shape, label: Float(label), box: box),
                            reference: CroppedMask(labels: reference, gridShape: shape, label: Float(label), box: box),
                            spacing: effectiveSpacing, planar: true)
                    }, convention: options.convention, nsdTolerance: options.nsdTolerance)
                metrics.name = options.labelNames[label]
                rows.append((k, metrics))
            }
        }
        return rows
    }
}
