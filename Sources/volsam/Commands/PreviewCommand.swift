import ArgumentParser
import Foundation
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

    @Option(name: .long, help: "Views to draw, comma-separated: axial, coronal, sagittal.")
    var views = "axial,coronal,sagittal"

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
    }

    func planes() throws -> [ViewPlane] {
        let names = views.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let planes = names.compactMap(ViewPlane.init(rawValue:))
        guard !names.isEmpty, planes.count == names.count, Set(planes).count == planes.count else {
            throw ValidationError("--views \(views): give distinct views from axial, coronal, sagittal, comma-separated")
        }
        return planes
    }

    func run() throws {
        try InputProtection(inputs: [.init(path, "the image")] + (labels.map { [.init($0, "the label map")] } ?? []))
            .check(outputs: [output].compactMap { $0 })
        if let output { try AtomicOutput.checkWritable(output) }
        let preview = try SlicePreview(volume: try input.load(path), labels: labels, slice: slice, views: try planes(),
                                       normalization: normalization.choice, note: note)
        print("\(path): \(preview.modality.modality.rawValue.uppercased()) (\(preview.modality.reason)); \(preview.window.summary); "
              + "axial slice \(preview.slice) of \(preview.sliceCount); "
              + preview.views.map { "\($0.plane.rawValue) \($0.index)" }.joined(separator: ", "))
        if text { print(SliceRenderer.text(preview.image, labels: preview.overlay)) }
        if let output {
            let png = SliceRenderer.png(panels: preview.views.map { ($0.image, $0.overlay) }, outline: outline)
            try AtomicOutput.write(png, to: output)
            print("Wrote \(output) (" + preview.views.map { "\($0.plane.rawValue) \($0.image.width)x\($0.image.height)" }
                .joined(separator: ", ") + ")")
        }
    }
}
