import Foundation
import Volume

/// Writes a segmentation in the input's own grid and header: the label map, probabilities, one file per label,
/// label names and per-label statistics. Every file is written atomically (temporary file, then rename).
public enum SegmentationOutput {
    /// The canonical labels taken back to the file's grid, as Float for the writer and the metrics.
    public static func sourceLabels(_ labels: [UInt16], volume: CanonicalVolume) -> [Float] {
        volume.toSourceGrid(labels).map(Float.init)
    }

    public static func writeLabelMap(_ source: [Float], volume: CanonicalVolume, to path: String) throws {
        let maxLabel = Int(source.max() ?? 0)
        try NIfTIWriter.write(voxels: source, shape: volume.sourceShape, header: volume.sourceHeader,
                              datatype: NIfTIWriter.labelDatatype(maxLabel: maxLabel), to: path, isLabelMap: true)
    }

    /// Sigmoid of the winning logit per voxel, float32.
    public static func writeProbabilities(_ result: SegmentationResult, volume: CanonicalVolume, to path: String) throws {
        try NIfTIWriter.write(voxels: volume.toSourceGrid(result.probabilities()), shape: volume.sourceShape,
                              header: volume.sourceHeader, datatype: .float32, to: path)
    }

    /// One binary uint8 file per label in `directory`: `<label>_<name>.nii.gz` (or `label_<label>.nii.gz`).
    @discardableResult
    public static func writeSplit(_ source: [Float], labels: [(id: Int, name: String?)], volume: CanonicalVolume,
                                  directory: String) throws -> [String] {
        try AtomicOutput.createFolder(directory)
        return try labels.map { label in
            let value = Float(label.id)
            let path = (directory as NSString).appendingPathComponent(fileName(label.id, label.name))
            try NIfTIWriter.write(voxels: source.map { $0 == value ? 1 : 0 }, shape: volume.sourceShape,
                                  header: volume.sourceHeader, datatype: .uint8, to: path, isLabelMap: true)
            return path
        }
    }

    static func fileName(_ id: Int, _ name: String?) -> String {
        guard let name, !name.isEmpty else { return "label_\(id).nii.gz" }
        let safe = String(name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" })
        return "\(id)_\(safe).nii.gz"
    }

    /// `OUT.nii.gz` -> `OUT.labels.json`.
    public static func labelNamesPath(for output: String) -> String {
        var stem = output
        for ext in [".nii.gz", ".nii"] where stem.hasSuffix(ext) { stem.removeLast(ext.count); break }
        return stem + ".labels.json"
    }

    /// {"1": {"name": "spleen", "color": "#e6194b"}, ...} for the segmented labels (ids without a name are named
    /// "label_N"; colours from the fixed table the previews and reports use). `--label-names` reads it back.
    public static func writeLabelNames(_ labels: [(id: Int, name: String?)], nextTo output: String) throws -> String {
        var object: [String: [String: String]] = [:]
        for l in labels { object[String(l.id)] = ["name": l.name ?? "label_\(l.id)", "color": LabelColors.hex(l.id)] }
        let path = labelNamesPath(for: output)
        try AtomicOutput.write(try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]), to: path)
        return path
    }

    /// Per label: voxel count, volume in mm3, and mean/min/max of `image` (the input's intensities) inside it.
    public static func statistics(_ source: [Float], labels: [(id: Int, name: String?)], image: Volume) -> [[String: Any]] {
        precondition(source.count == image.voxels.count)
        let voxelVolume = abs(image.spacing.x * image.spacing.y * image.spacing.z)
        var sums = [Int: (count: Int, sum: Double, lo: Float, hi: Float)]()
        for l in labels { sums[l.id] = (0, 0, .infinity, -.infinity) }
        for i in 0..<source.count where source[i] != 0 {
            let id = Int(source[i])
            guard var s = sums[id] else { continue }
            let v = image.voxels[i]
            s.count += 1
            s.sum += Double(v)
            s.lo = min(s.lo, v)
            s.hi = max(s.hi, v)
            sums[id] = s
        }
        return labels.map { l in
            let s = sums[l.id]!
            var row: [String: Any] = ["label": l.id, "voxels": s.count, "volume_mm3": Double(s.count) * voxelVolume]
            if let name = l.name { row["name"] = name }
            row["mean_intensity"] = s.count > 0 ? s.sum / Double(s.count) : NSNull()
            row["min_intensity"] = s.count > 0 ? Double(s.lo) : NSNull()
            row["max_intensity"] = s.count > 0 ? Double(s.hi) : NSNull()
            return row
        }
    }
}
