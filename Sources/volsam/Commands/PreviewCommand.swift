import ArgumentParser
import Foundation
import Metrics
import Pipeline
import Volume

/// `volsam preview`: normalized axial, coronal and sagittal views as PNG and/or text, optionally with a label overlay.
struct Preview: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render normalized views through the labels (radiological display), optionally with a label overlay.",
        discussion: """
        Axial (anterior up, the patient's right on the left), coronal (superior up, the patient's right on the left) \
        and sagittal (superior up, anterior on the left) planes through the middle of the labels' extent (or of the \
        volume; --slice chooses the axial plane), side by side in one PNG with square pixels of the finest spacing.
        """)

    @Argument(help: "A NIfTI file or DICOM folder.")
    var path: String

    @Option(name: .shortAndLong, help: "PNG file to write (.png).")
    var output: String?

    @Option(name: .long, parsing: .unconditional, help: "Axial slice in the processing (LPS) layout; default: the middle (or the label's middle).")
    var slice: Int?

    @Option(name: .long, help: "Label map on the same grid to overlay.")
    var labels: String?

    @Option(name: .long, help: "Label names for the legend: JSON {\"1\": \"spleen\"} or a segmentation's OUT.labels.json (default: OUT.labels.json or OUT.json beside --labels OUT.nii.gz).")
    var labelNames: String?

    @Flag(name: .long, help: "Leave out the legend (each label's colour, name and volume in mm3) under the views.")
    var noLegend = false

    @Option(name: .long, help: "A reference label map to compare --labels with: its outlines in white over the labels' outlines.")
    var reference: String?

    @Option(name: .long, help: "Views to draw, comma-separated: axial, coronal, sagittal.")
    var views = "axial,coronal,sagittal"

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp(
        "Instead of the views: per label, N evenly spaced axial slices through its extent, a row per label.", valueName: "n"))
    var montage: Int?

    @Flag(name: .long, help: "Draw label outlines instead of filled overlays.")
    var outline = false

    @Flag(name: .long, help: "Print the axial slice as text on standard output.")
    var text = false

    @OptionGroup var input: InputOptions
    @OptionGroup var normalization: NormalizationOptions

    func validate() throws {
        guard output != nil || text else { throw ValidationError("give -o FILE.png, --text, or both") }
        if let output, !output.lowercased().hasSuffix(".png") { throw ValidationError("-o writes PNG: name it .png, not '\(output)'") }
        _ = try planes()
        if reference != nil && labels == nil { throw ValidationError("--reference compares with --labels: give both") }
        if labelNames != nil && labels == nil { throw ValidationError("--label-names names the labels of --labels: give both") }
        if let montage, !(1...32).contains(montage) { throw ValidationError("--montage must be 1 to 32 slices, not \(montage)") }
    }

    func planes() throws -> [ViewPlane] {
        let names = views.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let planes = names.compactMap(ViewPlane.init(rawValue:))
        guard !names.isEmpty, planes.count == names.count, Set(planes).count == planes.count else {
            throw ValidationError("--views \(views): give distinct views from axial, coronal, sagittal, comma-separated")
        }
        return planes
    }

    /// --label-names, or the OUT.labels.json a segmentation wrote beside --labels (or OUT.json), or none.
    func names() throws -> [Int: String] {
        if let labelNames { return try LabelNames.read(labelNames) }
        guard let labels else { return [:] }
        let labelsJSON = SegmentationOutput.labelNamesPath(for: labels)
        let beside = [labelsJSON, String(labelsJSON.dropLast(".labels.json".count)) + ".json"]
        return try beside.first { FileManager.default.fileExists(atPath: $0) }.map(LabelNames.read) ?? [:]
    }

    func run() throws {
        try InputProtection(inputs: [.init(path, "the image")] + (labels.map { [.init($0, "the label map")] } ?? [])
                            + (reference.map { [.init($0, "the reference label map")] } ?? [])
                            + (labelNames.map { [.init($0, "the label names")] } ?? []))
            .check(outputs: [output].compactMap { $0 })
        if let output { try AtomicOutput.checkWritable(output) }
        let preview = try SlicePreview(volume: try input.load(path), labels: labels, reference: reference, slice: slice, views: try planes(),
                                       montage: montage, names: try names(), normalization: normalization.choice, note: note)
        let legend = noLegend ? [] : preview.legend
        print("\(path): \(preview.modality.modality.rawValue.uppercased()) (\(preview.modality.reason)); \(preview.window.summary); "
              + "axial slice \(preview.slice) of \(preview.sliceCount); "
              + preview.views.map { "\($0.plane.rawValue) \($0.index)" }.joined(separator: ", "))
        if text { print(SliceRenderer.text(preview.image, labels: preview.overlay)) }
        if !preview.legend.isEmpty { print("Labels: " + preview.legend.map(\.text).joined(separator: "; ")) }
        if let output, let rows = preview.montage?.rows {
            let png = SliceRenderer.png(grid: rows.map(\.panels), outline: outline, legend: legend)
            try AtomicOutput.write(png, to: output)
            for row in rows { print("\(row.label.map { "label \($0)" } ?? "volume"): axial slices \(row.slices.map(String.init).joined(separator: ", "))") }
            print("Wrote \(output) (montage, \(rows.count) row\(rows.count == 1 ? "" : "s"))")
        } else if let output {
            let png = SliceRenderer.png(panels: preview.views.map(\.panel), outline: outline, legend: legend)
            try AtomicOutput.write(png, to: output)
            print("Wrote \(output) (" + preview.views.map { "\($0.plane.rawValue) \($0.panel.image.width)x\($0.panel.image.height)" }
                .joined(separator: ", ") + ")")
        }
    }
}
