import Crypto
import Foundation
import Tensor

/// A model's checkpoint (ModelSpec): where it is cached, how it is verified.
public enum ModelWeights {
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
    public static func locate(explicit: String? = nil, spec: ModelSpec = .liteMedSAM,
                              environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        if let explicit {
            guard FileManager.default.fileExists(atPath: explicit) else {
                throw CheckpointError(explicit, "no such weights file; " + spec.fetchHint)
            }
            return explicit
        }
        let path = cacheFolder(environment: environment) + "/" + spec.checkpointFile
        guard FileManager.default.fileExists(atPath: path) else {
            throw CheckpointError(path, "\(spec.name) weights are not in the cache; " + spec.fetchHint)
        }
        try verify(path: path, spec: spec)
        return path
    }

    /// Checks size and SHA-256 against the published checkpoint.
    public static func verify(path: String, spec: ModelSpec = .liteMedSAM) throws {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        let actualSize = (attributes?[.size] as? NSNumber)?.intValue ?? -1
        guard actualSize == spec.checkpointSize else {
            throw CheckpointError(path, "is \(actualSize) bytes, not the \(spec.checkpointSize) bytes of the \(spec.name) "
                                  + "checkpoint; delete it and " + spec.fetchHint)
        }
        let digest = try sha256(of: path)
        guard digest == spec.checkpointSHA256 else {
            throw CheckpointError(path, "SHA-256 \(digest) does not match the \(spec.name) checkpoint "
                                  + "(\(spec.checkpointSHA256)); delete it and " + spec.fetchHint)
        }
    }

    /// A note for weights that are not the spec's published checkpoint (nil when they are).
    public static func provenanceNote(path: String, sha256 digest: String, spec: ModelSpec = .liteMedSAM) -> String? {
        digest == spec.checkpointSHA256 ? nil
            : "\(path) is not the published \(spec.name) checkpoint (SHA-256 \(digest.prefix(16))...); fine-tuned or other weights"
    }

    /// The SHA-256 of a file, lowercase hex.
    public static func sha256(of path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CheckpointError(path, "cannot read (\(String(cString: strerror(errno))))")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 22), !chunk.isEmpty { hasher.update(data: chunk) }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
