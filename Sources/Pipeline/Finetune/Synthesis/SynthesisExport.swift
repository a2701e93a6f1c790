import Foundation
import Volume

/// `volsam synth`: a training set's exemplar slices and synthesized slices written for a person to look at:
/// OUT/images.nii.gz (one slice per training slice, normalized to [0, 1], float32), OUT/labels.nii.gz (each
/// target's label id, or 1 for a union, on the same stack) and OUT/slices.json (where each slice came from, the
/// synthesis ranges). Slices smaller than the largest are padded with 0 at their far sides; the stack takes the
/// first exemplar's case's in-plane geometry, one slice per millimetre.
public enum SynthesisExport {
    /// What was written.
    public struct Summary: Sendable {
        public var exemplars = 0, synthesized = 0
        public var size = (width: 0, height: 0)
        public var written: [String] = []

        public var text: String {
            "\(exemplars) exemplar and \(synthesized) synthesized slices (\(size.width) x \(size.height)); wrote \(written.joined(separator: ", "))"
        }
    }

    /// The files `write` makes in `folder`.
    public static func files(in folder: String) -> [String] {
        ["images.nii.gz", "labels.nii.gz", "slices.json"].map { folder + "/" + $0 }
    }

    public static func write(_ set: TrainingSet, to folder: String, progress: () -> Void = {}) throws -> Summary {
        let (width, height) = (set.cases.map(\.volume.width).max() ?? 0, set.cases.map(\.volume.height).max() ?? 0)
        let count = set.count
        guard count <= (1 << 31) / max(1, width * height) else {
            throw VolumeError(folder, "\(count) slices of \(width) x \(height) are too many for one stack")
        }
        let values = set.targets.enumerated().map { Float(Int($0.element) ?? $0.offset + 1) }
        var images = [Float](repeating: 0, count: width * height * count), labels = images
        var origins: [String] = []
        for i in 0..<count {
            let slice = set.slice(i)
            origins.append(slice.origin)
            let w = slice.image.width
            for p in slice.image.pixels.indices {
                let q = i * width * height + (p / w) * width + p % w
                images[q] = slice.image.pixels[p]
                for t in slice.masks.indices where slice.masks[t][p] { labels[q] = values[t] }
            }
            progress()
        }
        var affine = set.cases[set.exemplars[0].caseIndex].volume.affine
        let step = affine.column(2) / max(1e-9, (affine.column(2) * affine.column(2)).sum().squareRoot())
        for r in 0..<3 { affine[r, 2] = step[r] }
        let header = SpatialHeader.from(affine: affine)
        let (imagePath, labelPath, listPath) = (files(in: folder)[0], files(in: folder)[1], files(in: folder)[2])
        try NIfTIWriter.write(voxels: images, shape: [width, height, count], header: header, datatype: .float32, to: imagePath)
        try NIfTIWriter.write(voxels: labels, shape: [width, height, count], header: header,
                              datatype: NIfTIWriter.labelDatatype(maxLabel: Int(values.max() ?? 1)), to: labelPath, isLabelMap: true)
        let list: [String: Any] = [
            "targets": zip(set.targets, values).map { ["target": $0.0, "label": Int($0.1)] },
            "synthesis": set.request.synthesis.summary, "seed": set.request.seed,
            "slices": origins.enumerated().map { ["index": $0.offset, "origin": $0.element] },
        ]
        try AtomicOutput.write(try JSONSerialization.data(withJSONObject: list, options: [.prettyPrinted, .sortedKeys]), to: listPath)
        var summary = Summary()
        (summary.exemplars, summary.synthesized, summary.size, summary.written) = (set.exemplars.count, set.request.synthesize, (width, height),
                                                                                  files(in: folder))
        return summary
    }
}
