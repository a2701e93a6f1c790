import Foundation
import Metrics
import SAM
import Volume

/// One image end to end (what `volsam segment` does, and `volsam batch` for every case): read, decide the
/// modality, normalize, place the prompts, segment, paint BraTS regions, keep the largest components, write the
/// outputs atomically, gather statistics and score the written label map. The model is loaded on the first case
/// whose prompts are good and kept for the next ones.
public final class CaseRunner {
    public let engine: EngineSettings
    public let reading: ImageReading
    private var segmenter: VolumeSegmenter<LiteMedSAM>?
    private var advisedOnPoints = false

    public init(engine: EngineSettings, reading: ImageReading) {
        self.engine = engine
        self.reading = reading
    }

    public func run(_ request: CaseRequest, observer: CaseObserver = CaseObserver()) throws -> CaseReport {
        let outputs = request.outputs
        let loaded = try reading.load(request.image, note: observer.note)
        if let adapter = engine.adapter, let remark = try HeldOutCheck.note(image: request.image, adapter: adapter) { observer.note(remark) }
        let (decision, window) = reading.normalization.decide(for: loaded)
        let grid = ImageGrid(loaded)
        var volume = CanonicalVolume(loaded)
        Normalization.normalize(&volume, window: window)
        let labelPrompts = try request.prompts(volume, grid)
        if !advisedOnPoints, let advice = try PointPromptAdvice.note(for: labelPrompts, adapter: engine.adapter) {
            observer.note(advice)
            advisedOnPoints = true
        }
        if let reference = request.reference { _ = try grid.loadAligned(reference, note: observer.note) }  // read again to score
        try Self.checkOutputs(outputs)
        try Self.protection(request, format: loaded.source.format, engine: engine).check(outputs: Self.files(outputs, labels: labelPrompts))
        if segmenter == nil { segmenter = try engine.makeSegmenter() }
        var model = segmenter!
        model.keepsLabelMasks = outputs.regions != nil
        model.keepsLogits = outputs.probabilities != nil
        observer.segmenting(model.plannedEncodes(labelPrompts), labelPrompts.count)
        var result = model.segment(volume, prompts: labelPrompts, progress: observer.progress)
        volume.voxels = []  // only the grid is needed from here on
        var labels = labelPrompts.map { (id: $0.label, name: $0.name) }
        if let regions = outputs.regions {
            result.labels = TumourRegion.paint(regions, masks: result.masks, count: result.labels.count)
            result.masks = [:]
            labels = regions.map { (id: $0.paintValue, name: $0.paintName) }.sorted { $0.id < $1.id }
        }
        var report = CaseReport(image: request.image, output: outputs.labelMap,
                                modality: "\(decision.modality.rawValue) (\(decision.reason)); \(window.summary)",
                                labels: labels, result: result)
        report.propagation = engine.propagation
        if outputs.keepLargest { report.removedByKeepLargest = result.keepLargestComponents() }
        let source = SegmentationOutput.sourceLabels(result.labels, volume: volume)
        try SegmentationOutput.writeLabelMap(source, volume: volume, to: outputs.labelMap)
        report.written.append(outputs.labelMap)
        report.written.append(try SegmentationOutput.writeLabelNames(labels, nextTo: outputs.labelMap))
        if let path = outputs.probabilities {
            try SegmentationOutput.writeProbabilities(result, volume: volume, to: path)
            report.written.append(path)
        }
        if let folder = outputs.split {
            report.written += try SegmentationOutput.writeSplit(source, labels: labels, volume: volume, directory: folder)
        }
        result.logits = []
        report.result = result
        if let path = outputs.stats {
            let raw = try VolumeLoader.load(path: request.image, options: reading.loader)
            let statistics = SegmentationOutput.statistics(source, labels: labels, image: raw)
            try AtomicOutput.write(try MetricsReport.data(statistics), to: path)
            report.statistics = statistics
            report.written.append(path)
        }
        if let reference = request.reference {
            let gt = try grid.loadAligned(reference, note: { _ in })
            report.metrics = try CaseScoring.score(source, reference: gt, labels: labels, regions: outputs.regions,
                                                   options: request.metrics)
        }
        if let folder = outputs.report {
            report.written += try CaseReportPage.write(report, reference: request.reference, reading: reading, folder: folder)
        }
        return report
    }

    /// `run`, and the provenance record OUT.run.json beside the label map (arguments, weights and their SHA-256,
    /// machine, timings, the files written); the record is listed among the files.
    public func run(_ request: CaseRequest, recording arguments: [String], observer: CaseObserver = CaseObserver()) throws -> CaseReport {
        var record = try RunRecord(arguments: arguments, engine: engine, note: observer.note)
        var report = try run(request, observer: observer)
        let path = RunRecord.path(nextTo: request.outputs.labelMap)
        report.written.append(path)
        record["image"] = request.image
        record["propagation"] = engine.propagation.rawValue
        record["files"] = report.written
        try record.write(to: path)
        return report
    }

    /// The case's inputs: the image (a DICOM file's whole folder; an ANALYZE header's .img), the reference, the rest.
    static func protection(_ request: CaseRequest, format: String, engine: EngineSettings) -> InputProtection {
        var inputs = [InputProtection.Input(request.image, "the image")]
        if format == "DICOM", let folder = VolumeLoader.dicomFolder(of: request.image) {
            inputs.append(.init(folder, "the image's DICOM folder"))
        }
        for (header, data) in [(".hdr", ".img"), (".hdr.gz", ".img.gz")] where request.image.hasSuffix(header) {
            inputs.append(.init(String(request.image.dropLast(header.count)) + data, "the image's data file"))
        }
        if let reference = request.reference { inputs.append(.init(reference, "the reference label map")) }
        return InputProtection(inputs: inputs + engine.inputs + request.otherInputs)
    }

    /// Every file the case may write: the label map, its names and run record, probabilities, statistics, the
    /// split masks of the prompted labels.
    static func files(_ outputs: CaseOutputs, labels: [LabelPrompts]) -> [String] {
        var files = [outputs.labelMap, SegmentationOutput.labelNamesPath(for: outputs.labelMap), RunRecord.path(nextTo: outputs.labelMap)]
        if let folder = outputs.report { files += ["index.html", "montage.png"].map { (folder as NSString).appendingPathComponent($0) } }
        files += [outputs.probabilities, outputs.stats].compactMap { $0 }
        if let split = outputs.split {
            let named: [(id: Int, name: String?)] = outputs.regions.map { $0.map { ($0.paintValue, $0.paintName) } }
                ?? labels.map { ($0.label, $0.name) }
            files += named.map { (split as NSString).appendingPathComponent(SegmentationOutput.fileName($0.id, $0.name)) }
        }
        return files
    }

    /// Every output can be written (its folder exists and is writable) before any work is done.
    static func checkOutputs(_ outputs: CaseOutputs) throws {
        for file in [outputs.labelMap, SegmentationOutput.labelNamesPath(for: outputs.labelMap), outputs.probabilities,
                     outputs.stats].compactMap({ $0 }) {
            try AtomicOutput.checkWritable(file)
        }
        for (folder, option) in [(outputs.split, "--split"), (outputs.report, "--report")] {
            guard let folder else { continue }
            var isDirectory: ObjCBool = false
            if !FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) {
                try AtomicOutput.checkWritable(folder)
            } else if !isDirectory.boolValue {
                throw VolumeError(folder, "\(option) needs a folder, and this is a file")
            }
        }
    }
}

/// Scores a written label map (on the image's grid) against its reference.
public enum CaseScoring {
    /// Per BraTS region when `regions` is given, else per label (`options.labels`, or the segmented labels, named).
    public static func score(_ prediction: [Float], reference gt: Volume, labels: [(id: Int, name: String?)],
                             regions: [TumourRegion]?, options: MetricOptions) throws -> [LabelMetrics] {
        let spacing = [gt.spacing.x, gt.spacing.y, gt.spacing.z]
        if let regions {
            return try regions.map { region in
                var regionOptions = options
                regionOptions.labels = [1]
                var m = try LabelMapEvaluator.evaluate(prediction: region.binary(prediction), reference: region.binary(gt.voxels),
                                                       shape: gt.shape, spacing: spacing, options: regionOptions)[0]
                m.label = region.id
                m.name = region.name
                return m
            }
        }
        var labelOptions = options
        labelOptions.labels = options.labels ?? labels.map(\.id)
        for label in labels where labelOptions.labelNames[label.id] == nil {
            labelOptions.labelNames[label.id] = label.name ?? "label_\(label.id)"
        }
        return try LabelMapEvaluator.evaluate(prediction: prediction, reference: gt.voxels, shape: gt.shape,
                                              spacing: spacing, options: labelOptions)
    }
}
