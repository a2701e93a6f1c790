import Foundation
import Volume

/// Writes the sample phantoms (images, label maps, label names) into a folder.
public enum PhantomWriter {
    /// File names written, in order.
    public static let files = ["ct_abdomen.nii.gz", "ct_abdomen_labels.nii.gz", "ct_abdomen_labels.json",
                               "mr_brain_flair.nii.gz", "mr_brain_labels.nii.gz", "mr_brain_labels.json"]

    public static func write(to folder: String) throws -> [String] {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var written: [String] = []
        for (name, scan) in [("ct_abdomen", AbdomenPhantom.make()), ("mr_brain", BrainPhantom.make())] {
            let imageName = name == "mr_brain" ? "mr_brain_flair.nii.gz" : "ct_abdomen.nii.gz"
            let image = folder + "/" + imageName
            try NIfTIWriter.write(voxels: scan.image.voxels, shape: scan.image.shape, header: scan.image.header,
                                  datatype: .int16, to: image)
            let labels = folder + "/\(name)_labels.nii.gz"
            try NIfTIWriter.write(voxels: scan.labels.voxels, shape: scan.labels.shape, header: scan.labels.header,
                                  datatype: .uint8, to: labels, isLabelMap: true)
            let names = Dictionary(uniqueKeysWithValues: scan.labelNames.map { (String($0.key), $0.value) })
            let json = try JSONSerialization.data(withJSONObject: names, options: [.prettyPrinted, .sortedKeys])
            try AtomicOutput.write(json + Data("\n".utf8), to: folder + "/\(name)_labels.json")
            written += [image, labels, folder + "/\(name)_labels.json"]
        }
        return written
    }
}
