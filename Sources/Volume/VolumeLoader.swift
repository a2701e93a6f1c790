import Foundation

/// Reads any supported volume: a NIfTI file, a NRRD or MetaImage file, or a DICOM folder / a DICOM file inside one.
public enum VolumeLoader {
    public struct Options: Sendable {
        public var volumeIndex = 0
        public var seriesUID: String?
        public init(volumeIndex: Int = 0, seriesUID: String? = nil) {
            self.volumeIndex = volumeIndex
            self.seriesUID = seriesUID
        }
    }

    public static func isNIfTIPath(_ path: String) -> Bool {
        path.hasSuffix(".nii") || path.hasSuffix(".nii.gz") || path.hasSuffix(".hdr") || path.hasSuffix(".img")
            || path.hasSuffix(".hdr.gz") || path.hasSuffix(".img.gz")
    }

    /// A single file VolSAM reads as one volume (NIfTI, ANALYZE pair, NRRD, MetaImage), by its name.
    public static func isVolumeFilePath(_ path: String) -> Bool { isNIfTIPath(path) || ITKImageReader.handles(path) }

    /// The case id of a volume file name: the name without its volume file ending; nil for other files.
    public static func stem(of name: String) -> String? {
        for ext in [".nii.gz", ".nii"] + ITKImageReader.extensions where name.lowercased().hasSuffix(ext) {
            return String(name.dropLast(ext.count))
        }
        return nil
    }

    /// The folder of DICOM files a path reads (the folder itself, or the folder of a DICOM file); nil for a
    /// single-file volume.
    public static func dicomFolder(of path: String) -> String? {
        if isVolumeFilePath(path) { return nil }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return nil }
        return isDirectory.boolValue ? path : (path as NSString).deletingLastPathComponent
    }

    /// A folder that is not a folder of single-file volumes (so read as a DICOM series).
    public static func isDICOMFolder(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
            && !isFolderOfVolumeFiles(path)
    }

    /// A folder holding single-file volumes (a folder of cases), not a DICOM series.
    public static func isFolderOfVolumeFiles(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else { return false }
        return ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).contains { isVolumeFilePath($0) }
    }

    public static func load(path: String, options: Options = Options()) throws -> Volume {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw VolumeError(path, "no such file or folder")
        }
        if !isDirectory.boolValue && ITKImageReader.handles(path) {
            if options.seriesUID != nil { throw VolumeError(path, "--series applies to DICOM folders, not single files") }
            return try ITKImageReader.read(path: path)
        }
        if isDirectory.boolValue || !isNIfTIPath(path) {
            if !isDirectory.boolValue, !looksLikeDICOM(path) {
                throw VolumeError(path, "not a volume VolSAM reads (expected .nii, .nii.gz, .nrrd, .nhdr, .mha, .mhd or a DICOM series)")
            }
            return try DICOMSeriesReader.read(path: path, seriesUID: options.seriesUID)
        }
        if options.seriesUID != nil { throw VolumeError(path, "--series applies to DICOM folders, not NIfTI files") }
        return try NIfTIReader.read(path: path, volumeIndex: options.volumeIndex)
    }

    /// What a user should know about a volume just read: which volume of a 4-D file was taken, NaN/inf voxels.
    public static func notes(for volume: Volume) -> [String] {
        var notes: [String] = []
        let source = volume.source
        if source.volumeCount > 1 {
            notes.append("\(source.path) holds \(source.volumeCount) volumes; using volume \(source.volumeIndex)"
                         + (source.volumeIndex == 0 ? " (choose with --volume N)" : ""))
        }
        if source.nonFiniteCount > 0 {
            notes.append("\(source.path) has \(source.nonFiniteCount) NaN/inf voxels; they are treated as the minimum")
        }
        return notes
    }

    /// DICOM Part 10 files carry "DICM" at byte 128; older files without a preamble are accepted by extension.
    static func looksLikeDICOM(_ path: String) -> Bool {
        if path.lowercased().hasSuffix(".dcm") { return true }
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        guard let data = try? handle.read(upToCount: 132), data.count == 132 else { return false }
        return data.suffix(4) == Data("DICM".utf8)
    }
}
