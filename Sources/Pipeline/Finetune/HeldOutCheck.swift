import Foundation
import SAM

/// Whether a scored case was one the adapter learned from: an adapter names the SHA-256 of its training images
/// (metadata training_images_sha256), so a run that segments one of them says its scores are not held out.
public enum HeldOutCheck {
    public static let metadataKey = "training_images_sha256"

    /// The SHA-256 of an image file (nil for a DICOM folder, which is not hashed).
    public static func digest(_ image: String) throws -> String? {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: image, isDirectory: &isFolder), !isFolder.boolValue else { return nil }
        return try ModelWeights.sha256(of: image)
    }

    /// The note for `image` segmented with `adapter`, or nil when it is held out (or a folder).
    public static func note(image: String, adapter: String) throws -> String? {
        guard let digest = try digest(image) else { return nil }
        let trained = Set((try AdapterFile.read(path: adapter).metadata[metadataKey] ?? "").split(separator: ",").map(String.init))
        guard trained.contains(digest) else { return nil }
        return "\(image) is one of the images \(adapter) was trained on: its scores are not held out"
    }
}
