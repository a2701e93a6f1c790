import Foundation
import Metrics
import Pipeline
import SAM
import Volume

/// What to write for one segmented image.
struct CaseOutputs {
    var labelMap: String
    var probabilities: String?
    var split: String?
    var stats: String?
    var keepLargest = false
    /// BraTS regions: each region is its own prompt target; the output paints WT, then TC, then ET with BraTS values.
    var regions: [TumourRegion]?
}

/// What one segmented image gave.
struct CaseReport {
    var image: String
    var output: String
    var modality: String
    var labels: [(id: Int, name: String?)]
    var result: SegmentationResult
    var metrics: [LabelMetrics]?
    var statistics: [[String: Any]]?
    var removedByKeepLargest = 0
    var written: [String] = []

    func object() -> [String: Any] {
        var out: [String: Any] = [
            "image": image, "output": output, "modality": modality, "files": written,
            "labels": labels.map { l -> [String: Any] in
                var row: [String: Any] = ["label": l.id]
                if let name = l.name { row["name"] = name }
                return row
            },
            "slices_encoded": result.encodedSlices, "slices_segmented": result.distinctSlices,
            "prompts_decoded": result.decodedPrompts, "seconds": result.totalSeconds,
            "encoder_seconds": result.encodeSeconds, "decoder_seconds": result.decodeSeconds,
        ]
        if let metrics { out["metrics"] = metrics.map(MetricsReport.object) }
        if let statistics { out["statistics"] = statistics }
        return out
    }
}

/// Loads, normalizes, prompts, segments, post-processes, writes and scores one image (`segment` and `batch`).
final class CaseSegmenter {
    let engine: EngineOptions
    let input: InputOptions
    let normalization: NormalizationOptions
    /// Loaded on first use, after the first case's prompts are known to be good.
    private var model: VolumeSegmenter<LiteMedSAM>?

    init(engine: EngineOptions, input: InputOptions, normalization: NormalizationOptions) {
        self.engine = engine
        self.input = input
        self.normalization = normalization
    }

    /// `prompts` places the case's prompts on its canonical volume; `reference` (same grid) is scored against.
    func run(image path: String, prompts: (CanonicalVolume, ImageGrid) throws -> [LabelPrompts], reference: String?,
             metricOptions: MetricOptions, outputs: CaseOutputs, quiet: Bool) throws -> CaseReport {
        let loaded = try input.load(path)
        let decision = try normalization.modalityDecision(for: loaded)
        let window = try normalization.intensityWindow(for: decision.modality)
        let grid = ImageGrid(loaded)
        var volume = CanonicalVolume(loaded)
        Normalization.normalize(&volume, window: window)
        let labelPrompts = try prompts(volume, grid)
        if let reference { _ = try grid.loadLabelMap(reference) }  // checked now, read again for scoring
        for file in [outputs.labelMap, outputs.probabilities, outputs.stats].compactMap({ $0 }) {
            let folder = (file as NSString).deletingLastPathComponent
            guard !folder.isEmpty else { continue }
            do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
                throw VolumeError(file, "cannot create its folder (\(error.localizedDescription))")
            }
        }
        if model == nil { model = try engine.segmenter() }
        var segmenter = model!
        let bar = ProgressBar(total: segmenter.plannedEncodes(labelPrompts),
                              unit: "slices encoded for \(labelPrompts.count) label\(labelPrompts.count == 1 ? "" : "s")", quiet: quiet)
        segmenter.keepsLabelMasks = outputs.regions != nil
        segmenter.keepsLogits = outputs.probabilities != nil
        var result = segmenter.segment(volume, prompts: labelPrompts) { _ in bar.advance() }
        volume.voxels = []  // only the grid is needed from here on
        var labels = labelPrompts.map { (id: $0.label, name: $0.name) }
        if let regions = outputs.regions {
            result.labels = Self.paint(regions, masks: result.masks, count: volume.voxels.count)
            result.masks = [:]
            labels = regions.map { (id: $0.paintValue, name: Self.paintName($0)) }.sorted { $0.id < $1.id }
        }
        var report = CaseReport(image: path, output: outputs.labelMap,
                                modality: "\(decision.modality.rawValue) (\(decision.reason)); \(window.summary)",
                                labels: labels, result: result)
        if outputs.keepLargest { report.removedByKeepLargest = LargestComponent.keep(&result.labels, shape: volume.shape) }
        let source = SegmentationOutput.sourceLabels(result.labels, volume: volume)
        try SegmentationOutput.writeLabelMap(source, volume: volume, to: outputs.labelMap)
        report.written.append(outputs.labelMap)
        report.written.append(try SegmentationOutput.writeLabelNames(labels, nextTo: outputs.labelMap))
        if let p = outputs.probabilities {
            try SegmentationOutput.writeProbabilities(result, volume: volume, to: p)
            report.written.append(p)
        }
        if let dir = outputs.split {
            report.written += try SegmentationOutput.writeSplit(source, labels: labels, volume: volume, directory: dir)
        }
        result.logits = []
        report.result = result
        if let statsPath = outputs.stats {
            let raw = try input.load(path)
            let stats = SegmentationOutput.statistics(source, labels: labels, image: raw)
            try AtomicOutput.write(try MetricsReport.data(stats), to: statsPath)
            report.statistics = stats
            report.written.append(statsPath)
        }
        if let reference {
            let gt = try grid.loadLabelMap(reference)
            report.metrics = try Self.score(source, reference: gt, labels: labels.map(\.id), names: Dictionary(
                labels.map { ($0.id, $0.name ?? "label_\($0.id)") }, uniquingKeysWith: { a, _ in a }),
                regions: outputs.regions, options: metricOptions)
        }
        return report
    }

    /// Metrics of a source-grid prediction against a reference on the same grid: per region for BraTS targets,
    /// else per label (`options.labels`, or the segmented labels).
    static func score(_ prediction: [Float], reference gt: Volume, labels: [Int], names: [Int: String],
                      regions: [TumourRegion]?, options metricOptions: MetricOptions) throws -> [LabelMetrics] {
        let spacing = [gt.spacing.x, gt.spacing.y, gt.spacing.z]
        if let regions {
            return try regions.map { region in
                var options = metricOptions
                options.labels = [1]
                var m = try LabelMapEvaluator.evaluate(prediction: region.binary(prediction), reference: region.binary(gt.voxels),
                                                       shape: gt.shape, spacing: spacing, options: options)[0]
                m.label = region.id
                m.name = region.name
                return m
            }
        }
        var options = metricOptions
        options.labels = options.labels ?? labels
        for (id, name) in names where options.labelNames[id] == nil { options.labelNames[id] = name }
        return try LabelMapEvaluator.evaluate(prediction: prediction, reference: gt.voxels, shape: gt.shape,
                                              spacing: spacing, options: options)
    }

    /// The BraTS label map of region masks: WT painted first, then TC, then ET (nested as the regions are).
    static func paint(_ regions: [TumourRegion], masks: [Int: [Bool]], count: Int) -> [UInt16] {
        var labels = [UInt16](repeating: 0, count: count)
        for region in regions.sorted(by: { $0.id < $1.id }) {
            guard let mask = masks[region.id] else { continue }
            for i in 0..<count where mask[i] { labels[i] = UInt16(region.paintValue) }
        }
        return labels
    }

    static func paintName(_ region: TumourRegion) -> String {
        switch region.shortName {
        case "WT": "oedema (whole tumour outside the core)"
        case "TC": "necrosis / non-enhancing core"
        default: "enhancing tumour"
        }
    }
}
