import Foundation
import Parallelism
import Synchronization
import Volume

/// Options for scoring a prediction against a reference label map.
public struct MetricOptions: Sendable {
    public var convention: MetricConvention = .medpy
    /// NSD tolerance in mm (voxels in the transunet convention).
    public var nsdTolerance: Double = 1.0
    /// Labels to score; nil: every non-zero label present in either map.
    public var labels: [Int]?
    /// How a label absent from both maps counts; nil: the convention's rule (`defaultBothEmpty`).
    public var bothEmpty: BothEmptyRule?
    public var labelNames: [Int: String] = [:]

    public init(convention: MetricConvention = .medpy, nsdTolerance: Double = 1.0, labels: [Int]? = nil,
                labelNames: [Int: String] = [:], bothEmpty: BothEmptyRule? = nil) {
        self.convention = convention
        self.bothEmpty = bothEmpty
        self.nsdTolerance = nsdTolerance
        self.labels = labels
        self.labelNames = labelNames
    }
}

extension MetricOptions {
    /// The rule in force for labels absent from both maps.
    public var bothEmptyRule: BothEmptyRule { bothEmpty ?? convention.defaultBothEmpty }
}

/// Per-label counts and extents of two label maps, from one parallel pass over the voxels.
struct LabelCensus {
    var predCount: [Int: Int] = [:]
    var gtCount: [Int: Int] = [:]
    var intersection: [Int: Int] = [:]
    var predBox: [Int: GridBox] = [:]
    var gtBox: [Int: GridBox] = [:]

    init(prediction: [Float], reference: [Float], shape: [Int], slices: Range<Int>? = nil) throws {
        let kRange = slices ?? 0..<shape[2]
        let partials = Mutex<[CensusSlab]>([])
        prediction.withUnsafeBufferPointer { pred in reference.withUnsafeBufferPointer { ref in
            let (p, r) = (UncheckedBox(pred.baseAddress!), UncheckedBox(ref.baseAddress!))
            ParallelLoop.forRanges(count: kRange.count, minimumChunk: 1) { part in
                let slab = CensusSlab(prediction: p.value, reference: r.value, shape: shape,
                                      slices: (kRange.lowerBound + part.lowerBound)..<(kRange.lowerBound + part.upperBound))
                partials.withLock { $0.append(slab) }
            }
        } }
        for slab in partials.withLock({ $0 }) {
            if let invalid = slab.invalid {
                throw VolumeError("label map", "voxel value \(invalid) is not a label (labels are non-negative integers)")
            }
            merge(slab)
        }
    }

    private mutating func merge(_ slab: CensusSlab) {
        func box(_ slot: Int) -> GridBox {
            let b = slot * 6
            return GridBox(lower: Array(slab.boxes[b..<(b + 3)]), upper: slab.boxes[(b + 3)..<(b + 6)].map { $0 + 1 })
        }
        for l in 1..<256 {
            if slab.predCount[l] > 0 {
                predCount[l, default: 0] += slab.predCount[l]
                predBox[l] = box(l).union(predBox[l] ?? .empty)
            }
            if slab.gtCount[l] > 0 {
                gtCount[l, default: 0] += slab.gtCount[l]
                gtBox[l] = box(256 + l).union(gtBox[l] ?? .empty)
            }
            if slab.intersection[l] > 0 { intersection[l, default: 0] += slab.intersection[l] }
        }
        for (l, c) in slab.large.predCount { predCount[l, default: 0] += c }
        for (l, c) in slab.large.gtCount { gtCount[l, default: 0] += c }
        for (l, c) in slab.large.intersection { intersection[l, default: 0] += c }
        for (l, b) in slab.large.predBox { predBox[l] = b.union(predBox[l] ?? .empty) }
        for (l, b) in slab.large.gtBox { gtBox[l] = b.union(gtBox[l] ?? .empty) }
    }

    var presentLabels: [Int] { Array(Set(predCount.keys).union(gtCount.keys)).sorted() }
}

/// The census of a range of slices: fast tables for labels below 256 (boxes as [minI, minJ, minK, maxI, maxJ,
/// maxK]; prediction slots 0..<256, reference slots 256..<512), dictionaries for larger labels.
struct CensusSlab {
    var predCount = [Int](repeating: 0, count: 256)
    var gtCount = [Int](repeating: 0, count: 256)
    var intersection = [Int](repeating: 0, count: 256)
    var boxes = [Int]((0..<512).flatMap { _ in [Int.max, Int.max, Int.max, -1, -1, -1] })
    var large = Large()
    var invalid: Float?

    /// Labels of 256 and above (rare): dictionaries instead of the fast tables.
    struct Large {
        var predCount: [Int: Int] = [:], gtCount: [Int: Int] = [:], intersection: [Int: Int] = [:]
        var predBox: [Int: GridBox] = [:], gtBox: [Int: GridBox] = [:]

        mutating func add(_ lp: Int, _ lg: Int, _ i: Int, _ j: Int, _ k: Int) {
            let voxel = GridBox(lower: [i, j, k], upper: [i + 1, j + 1, k + 1])
            if lp >= 256 {
                predCount[lp, default: 0] += 1
                predBox[lp] = (predBox[lp] ?? .empty).union(voxel)
            }
            if lg >= 256 {
                gtCount[lg, default: 0] += 1
                gtBox[lg] = (gtBox[lg] ?? .empty).union(voxel)
            }
            if lp == lg && lp >= 256 { intersection[lp, default: 0] += 1 }
        }
    }

    init(prediction: UnsafePointer<Float>, reference: UnsafePointer<Float>, shape: [Int], slices: Range<Int>) {
        let (nx, ny) = (shape[0], shape[1])
        boxes.withUnsafeMutableBufferPointer { box in
            @inline(__always) func widen(_ slot: Int, _ i: Int, _ j: Int, _ k: Int) {
                let b = slot * 6
                if i < box[b] { box[b] = i }
                if i > box[b + 3] { box[b + 3] = i }
                if j < box[b + 1] { box[b + 1] = j }
                if j > box[b + 4] { box[b + 4] = j }
                if k < box[b + 2] { box[b + 2] = k }
                if k > box[b + 5] { box[b + 5] = k }
            }
            for k in slices {
                for j in 0..<ny {
                    let row = nx * (j + ny * k)
                    for i in 0..<nx {
                        let p = prediction[row + i], g = reference[row + i]
                        if p == 0 && g == 0 { continue }
                        guard p >= 0, g >= 0, p < 16_777_216, g < 16_777_216, Float(Int(p)) == p, Float(Int(g)) == g else {
                            invalid = p >= 0 && p < 16_777_216 && Float(Int(p)) == p ? g : p
                            return
                        }
                        let lp = Int(p), lg = Int(g)
                        if lp >= 256 || lg >= 256 {
                            large.add(lp, lg, i, j, k)
                            if lp < 256 && lp != 0 { predCount[lp] += 1; widen(lp, i, j, k) }
                            if lg < 256 && lg != 0 { gtCount[lg] += 1; widen(256 + lg, i, j, k) }
                            continue
                        }
                        if lp != 0 { predCount[lp] += 1; widen(lp, i, j, k) }
                        if lg != 0 { gtCount[lg] += 1; widen(256 + lg, i, j, k) }
                        if lp == lg { intersection[lp] += 1 }
                    }
                }
            }
        }
    }
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
                }, convention: options.convention, nsdTolerance: options.nsdTolerance, bothEmpty: options.bothEmptyRule)
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
                    }, convention: options.convention, nsdTolerance: options.nsdTolerance, bothEmpty: options.bothEmptyRule)
                metrics.name = options.labelNames[label]
                rows.append((k, metrics))
            }
        }
        return rows
    }
}
