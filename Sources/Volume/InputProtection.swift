import Foundation

/// Refuses, before any work, outputs that would overwrite one of a command's inputs or land inside a folder it
/// reads from (a DICOM series, a dataset's image and label folders). Paths are compared after resolving symbolic
/// links, `.` and `..`; an existing output is also compared by device and inode, so hard links count too.
public struct InputProtection {
    /// An input file or folder, and what it is to the command ("the image", "the reference", ...).
    public struct Input {
        public let path: String, role: String
        public init(_ path: String, _ role: String) {
            self.path = path
            self.role = role
        }
    }

    let files: [(identity: String, node: FileNode?, input: Input)]
    let folders: [(identity: String, input: Input)]
    let exactFolders: [(identity: String, input: Input)]

    /// `inputs`: files and folders read (a folder's files count as inputs, and so does the folder's inside);
    /// `folders`: further folders outputs must stay out of; `exactFolders`: folders an output may lie inside (in a
    /// new subfolder) but not be (a dataset's root).
    public init(inputs: [Input], folders extra: [Input] = [], exactFolders: [Input] = []) {
        var files: [(String, FileNode?, Input)] = [], folders: [(String, Input)] = []
        for input in inputs {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: input.path, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue {
                folders.append((Self.identity(input.path), input))
            } else {
                files.append((Self.identity(input.path), FileNode(input.path), input))
            }
        }
        for input in extra { folders.append((Self.identity(input.path), input)) }
        self.files = files
        self.folders = folders
        self.exactFolders = exactFolders.map { (Self.identity($0.path), $0) }
    }

    /// Throws for the first output that is an input or lies inside an input folder.
    public func check(outputs: [String]) throws {
        for output in outputs {
            let identity = Self.identity(output), node = FileNode(output)
            if let hit = files.first(where: { $0.identity == identity || (node != nil && $0.node == node) }) {
                throw VolumeError(output, "is \(hit.input.role) (\(hit.input.path)); refusing to overwrite an input")
            }
            if let hit = folders.first(where: { identity == $0.identity || identity.hasPrefix($0.identity + "/") }) {
                throw VolumeError(output, "lies inside \(hit.input.role) (\(hit.input.path)); refusing to write among the inputs")
            }
            if let hit = exactFolders.first(where: { identity == $0.identity }) {
                throw VolumeError(output, "is \(hit.input.role); write the outputs to a folder of their own")
            }
        }
    }

    /// The absolute path with symbolic links, `.` and `..` resolved (for a path that does not exist yet, its
    /// deepest existing folder is resolved and the rest appended).
    static func identity(_ path: String) -> String {
        var url = URL(fileURLWithPath: path).standardizedFileURL
        var tail: [String] = []
        while !FileManager.default.fileExists(atPath: url.path), url.path != "/" {
            tail.insert(url.lastPathComponent, at: 0)
            url.deleteLastPathComponent()
        }
        let resolved = url.resolvingSymlinksInPath().path
        return ([resolved == "/" ? "" : resolved] + tail).joined(separator: "/")
    }

    /// Device and inode of an existing file.
    struct FileNode: Equatable {
        let device: UInt64, inode: UInt64
        init?(_ path: String) {
            var info = stat()
            guard stat(path, &info) == 0 else { return nil }
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
        }
    }
}
