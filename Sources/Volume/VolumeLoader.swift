import Foundation

/// Reads any supported volume: a NIfTI file, or a DICOM folder / a DICOM file inside one.
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

    public static func load(path: String, options: Options = Options()) throws -> Volume {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw VolumeError(path, "no such file or folder")
        }
        if isDirectory.boolValue || !isNIfTIPath(path) {
            if !isDirectory.boolValue, !looksLikeDICOM(path) {
                throw VolumeError(path, "not a volume VolSAM reads (expected .nii, .nii.gz or a DICOM series)")
            }
            return try DICOMSeriesReader.read(path: path, seriesUID: options.seriesUID)
        }
        if options.seriesUID != nil { throw VolumeError(path, "--series applies to DICOM folders, not NIfTI files") }
        return try NIfTIReader.read(path: path, volumeIndex: options.volumeIndex)
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
