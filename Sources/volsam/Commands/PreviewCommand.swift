import ArgumentParser
import Foundation
import Imaging
import Pipeline
import Volume

/// `volsam preview`: one normalized axial slice as PNG and/or text, optionally with a label overlay.
struct Preview: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render a normalized axial slice (radiological display: anterior up, patient right on the left).")

    @Argument(help: "A NIfTI file or DICOM folder.")
    var path: String

    @Option(name: .shortAndLong, help: "PNG file to write.")
    var output: String?

    @Option(name: .long, help: "Axial slice in the processing (LPS) layout; default: the middle (or the label's middle).")
    var slice: Int?

    @Option(name: .long, help: "Label map on the same grid to overlay.")
    var labels: String?

    @Flag(name: .long, help: "Print the slice as text on standard output.")
    var text = false

    @OptionGroup var input: InputOptions
    @OptionGroup var normalization: NormalizationOptions

    func run() throws {
        guard output != nil || text else { throw ValidationError("give -o FILE.png, --text, or both") }
        let volume = try input.load(path)
        let (decision, window) = normalization.choice.decide(for: volume)
        let canonical = volume.canonical()
        let normalized = canonical.with(voxels: Normalization.normalize(canonical.voxels, window: window))
        var labelVolume: CanonicalVolume?
        if let labels { labelVolume = try ImageGrid(volume).loadAligned(labels, note: note).canonical() }
        let k = try chooseSlice(canonical: canonical, labels: labelVolume)
        let image = normalized.slice(k)
        let overlay = labelVolume?.slice(k)
        print("\(path): \(decision.modality.rawValue.uppercased()) (\(decision.reason)); \(window.summary); axial slice \(k) of \(canonical.sliceCount)")
        if text { print(SliceRenderer.text(image, labels: overlay)) }
        if let output {
            try AtomicOutput.write(SliceRenderer.png(image, labels: overlay), to: output)
            print("Wrote \(output) (\(image.width)x\(image.height))")
        }
    }

    private func chooseSlice(canonical: CanonicalVolume, labels: CanonicalVolume?) throws -> Int {
        if let slice {
            guard (0..<canonical.sliceCount).contains(slice) else {
                throw ValidationError("--slice \(slice) is outside 0..<\(canonical.sliceCount)")
            }
            return slice
        }
        if let labels {
            let n = labels.width * labels.height
            let occupied = (0..<labels.sliceCount).filter { k in labels.voxels[(k * n)..<((k + 1) * n)].contains { $0 > 0 } }
            if let first = occupied.first, let last = occupied.last { return (first + last) / 2 }
        }
        return canonical.sliceCount / 2
    }
}
