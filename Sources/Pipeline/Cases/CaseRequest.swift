import Foundation
import Metrics
import Volume

/// What to write for one segmented image.
public struct CaseOutputs: Sendable {
    /// The label map (.nii.gz or .nii), on the input's grid and header.
    public var labelMap: String
    /// Sigmoid of the winning logit, float32.
    public var probabilities: String?
    /// A folder with one binary mask per label.
    public var split: String?
    /// Per-label volume and intensity statistics (JSON).
    public var stats: String?
    /// Keep only each label's largest 6-connected 3-D component.
    public var keepLargest = false
    /// A folder for the HTML report (index.html and montage.png).
    public var report: String?
    /// BraTS regions: each region is its own prompt target; the label map paints WT, then TC, then ET with BraTS values.
    public var regions: [TumourRegion]?

    public init(labelMap: String, probabilities: String? = nil, split: String? = nil, stats: String? = nil,
                keepLargest: Bool = false, regions: [TumourRegion]? = nil, report: String? = nil) {
        self.report = report
        self.labelMap = labelMap
        self.probabilities = probabilities
        self.split = split
        self.stats = stats
        self.keepLargest = keepLargest
        self.regions = regions
    }
}

/// One image to segment: where its prompts come from, what to score against, what to write.
public struct CaseRequest {
    public var image: String
    /// Places the case's prompts on its canonical volume (the image file's grid given for label maps).
    public var prompts: (CanonicalVolume, ImageGrid) throws -> [LabelPrompts]
    /// A reference label map on the image's grid to score the written label map against.
    public var reference: String?
    public var metrics: MetricOptions
    public var outputs: CaseOutputs
    /// Other files the case reads (a prompts file, label names, weights), protected from being overwritten.
    public var otherInputs: [InputProtection.Input] = []

    public init(image: String, prompts: @escaping (CanonicalVolume, ImageGrid) throws -> [LabelPrompts], reference: String?,
                metrics: MetricOptions, outputs: CaseOutputs) {
        self.image = image
        self.prompts = prompts
        self.reference = reference
        self.metrics = metrics
        self.outputs = outputs
    }
}

/// What a running case tells its caller: notes for the user, the encoder runs planned, progress.
public struct CaseObserver {
    public var note: (String) -> Void
    /// Once, before the first encoder run: encoder runs planned and labels prompted.
    public var segmenting: (_ plannedEncodes: Int, _ labels: Int) -> Void
    public var progress: (SegmentationProgress) -> Void

    public init(note: @escaping (String) -> Void = { _ in }, segmenting: @escaping (Int, Int) -> Void = { _, _ in },
                progress: @escaping (SegmentationProgress) -> Void = { _ in }) {
        self.note = note
        self.segmenting = segmenting
        self.progress = progress
    }
}

/// What one segmented image gave: the files written, the result's counts and times, statistics and metrics.
public struct CaseReport {
    public var image: String
    public var output: String
    /// The modality decision and window, as printed.
    public var modality: String
    public var labels: [(id: Int, name: String?)]
    public var result: SegmentationResult
    public var metrics: [LabelMetrics]?
    public var statistics: [[String: Any]]?
    public var removedByKeepLargest = 0
    /// The propagation mode 3-D boxes ran with.
    public var propagation = PropagationMode.auto
    public var written: [String] = []

    /// What `volsam segment` prints: the modality decision, counts and times, the files written, and the metrics
    /// against `reference` (named `referenceName`) when scored.
    public func text(referenceName: String?, keptLargest: Bool, convention: MetricConvention) -> String {
        let r = result
        var lines = ["\(image): \(modality)", String(
            format: "Segmented %d label%@ on %d slices: %d encoder runs, %d prompts, %.1f s (encoder %.1f s, decoder %.1f s); "
                + "propagation %@",
            labels.count, labels.count == 1 ? "" : "s", r.distinctSlices, r.encodedSlices, r.decodedPrompts, r.totalSeconds,
            r.encodeSeconds, r.decodeSeconds, propagation.rawValue)]
        if keptLargest { lines.append("--keep-largest removed \(removedByKeepLargest) voxels") }
        lines += written.map { "Wrote \($0)" }
        if let metrics, let referenceName {
            lines += ["", "Against \(referenceName) (\(convention.rawValue) convention):", MetricsReport.caseTable(metrics)]
        }
        return lines.joined(separator: "\n")
    }

    /// The `--json` object of `volsam segment`.
    public func object() -> [String: Any] {
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
            "removed_by_keep_largest": removedByKeepLargest, "propagation": propagation.rawValue,
        ]
        if let metrics { out["metrics"] = metrics.map(MetricsReport.object) }
        if let statistics { out["statistics"] = statistics }
        return out
    }
}
