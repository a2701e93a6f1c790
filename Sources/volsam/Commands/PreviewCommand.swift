import ArgumentParser
import Foundation
import Pipeline
import Volume

/// `volsam preview`: one normalized axial slice as PNG and/or text, optionally with a label overlay.
struct Preview: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render a normalized axial slice (radiological display: anterior up, patient right on the left).")

    @Argument(help: "A NIfTI file or DICOM folder.")
    var path: String

    @Option(name: .shortAndLong, help: "PNG file to write (.png).")
    var output: String?

    @Option(name: .long, parsing: .unconditional, help: "Axial slice in the processing (LPS) layout; default: the middle (or the label's middle).")
    var slice: Int?

    @Option(name: .long, help: "Label map on the same grid to overlay.")
    var labels: String?

    @Flag(name: .long, help: "Print the slice as text on standard output.")
    var text = false

    @OptionGroup var input: InputOptions
    @OptionGroup var normalization: NormalizationOptions

    func validate() throws {
        guard output != nil || text else { throw ValidationError("give -o FILE.png, --text, or both") }
        if let output, !output.lowercased().hasSuffix(".png") { throw ValidationError("-o writes PNG: name it .png, not '\(output)'") }
    }

    func run() throws {
        try InputProtection(inputs: [.init(path, "the image")] + (labels.map { [.init($0, "the label map")] } ?? []))
            .check(outputs: [output].compactMap { $0 })
        if let output { try AtomicOutput.checkWritable(output) }
        let preview = try SlicePreview(volume: try input.load(path), labels: labels, slice: slice,
                                       normalization: normalization.choice, note: note)
        print("\(path): \(preview.modality.modality.rawValue.uppercased()) (\(preview.modality.reason)); \(preview.window.summary); "
              + "axial slice \(preview.slice) of \(preview.sliceCount)")
        if text { print(SliceRenderer.text(preview.image, labels: preview.overlay)) }
        if let output {
            try AtomicOutput.write(SliceRenderer.png(preview.image, labels: preview.overlay), to: output)
            print("Wrote \(output) (\(preview.image.width)x\(preview.image.height))")
        }
    }
}
