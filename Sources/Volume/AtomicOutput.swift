import Foundation

/// Writes an output through a temporary file in the same folder, renamed into place only once complete.
public enum AtomicOutput {
    /// Checks that `path`'s folder exists and is writable, then returns a temporary path beside it that keeps the
    /// extension given (so libraries that choose compression by extension still do).
    public static func temporaryPath(for path: String, keepingExtension ext: String) throws -> String {
        try checkWritable(path)
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        let token = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        return folder + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(token)" + ext
    }

    /// Throws unless `path` can be written: its folder exists and is writable, and it is not a folder itself.
    /// Commands check their outputs with it before any work.
    public static func checkWritable(_ path: String) throws {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw VolumeError(path, "output folder \(folder) does not exist")
        }
        guard FileManager.default.isWritableFile(atPath: folder) else {
            throw VolumeError(path, "output folder \(folder) is not writable")
        }
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw VolumeError(path, "output path is a folder")
        }
    }

    /// Moves a finished temporary file over `path` (atomic within one file system).
    public static func commit(temporary: String, to path: String) throws {
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw VolumeError(path, "could not move the finished output into place: \(reason)")
        }
    }

    /// Makes sure an output folder exists: creates it when its parent exists, refuses a missing parent (a mistyped
    /// path does not grow a folder tree) and a path that is a file.
    public static func createFolder(_ path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw VolumeError(path, "output folder is a file") }
            return
        }
        let parent = URL(fileURLWithPath: path).deletingLastPathComponent().path
        guard FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw VolumeError(path, "cannot create the output folder: its parent \(parent) does not exist")
        }
        do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false) } catch {
            throw VolumeError(path, "cannot create the output folder (\(error.localizedDescription))")
        }
    }

    /// Writes data atomically (JSON, CSV and other small outputs).
    public static func write(_ data: Data, to path: String) throws {
        let ext = URL(fileURLWithPath: path).pathExtension
        let temporary = try temporaryPath(for: path, keepingExtension: ext.isEmpty ? "" : "." + ext)
        do {
            try data.write(to: URL(fileURLWithPath: temporary))
        } catch {
            unlink(temporary)
            throw VolumeError(path, "could not write: \(error.localizedDescription)")
        }
        try commit(temporary: temporary, to: path)
    }
}
