import CDICOMBridge
import Foundation

/// Reads NRRD (.nrrd, .nhdr; 3D Slicer's format) and MetaImage (.mha, .mhd; ITK's) files through ITK, with the
/// geometry converted from ITK's LPS to NIfTI's RAS exactly as for DICOM.
public enum ITKImageReader {
    /// File endings read through ITK, lowercase.
    public static let extensions = [".nrrd", ".nhdr", ".mha", ".mhd"]

    public static func handles(_ path: String) -> Bool {
        let lower = path.lowercased()
        return extensions.contains { lower.hasSuffix($0) }
    }

    public static func read(path: String) throws -> Volume {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw VolumeError(path, "no such file")
        }
        var raw = vsd_volume()
        var message = [CChar](repeating: 0, count: 2048)
        guard vsd_read_image_file(path, Int64(NIfTIHeaderProbe.maxVoxels), &raw, &message, Int32(message.count)) == 0 else {
            throw VolumeError(path, String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        defer { vsd_free_volume(&raw) }
        let lower = path.lowercased()
        let format = lower.hasSuffix(".nrrd") || lower.hasSuffix(".nhdr") ? "NRRD" : "MetaImage"
        var volume = ITKGeometry.volume(from: raw, path: path, format: format)
        volume.source.datatype = ITKGeometry.datatype(ofComponent: ITKGeometry.string(raw.modality)) ?? volume.source.datatype
        return volume
    }
}

/// What ITK's readers (DICOM series, NRRD, MetaImage) hand over, made into a Volume: LPS geometry to RAS, NaN/inf
/// replaced.
enum ITKGeometry {
    static func volume(from raw: vsd_volume, path: String, format: String) -> Volume {
        let shape = [Int(raw.size.0), Int(raw.size.1), Int(raw.size.2)]
        var voxels = [Float](UnsafeBufferPointer(start: raw.voxels, count: shape.reduce(1, *)))
        let nonFinite = replaceNonFinite(&voxels)
        let spacing = [raw.spacing.0, raw.spacing.1, raw.spacing.2]
        let origin = [raw.origin.0, raw.origin.1, raw.origin.2]
        var direction = [Double](repeating: 0, count: 9)
        withUnsafeBytes(of: raw.direction) { p in for i in 0..<9 { direction[i] = p.load(fromByteOffset: 8 * i, as: Double.self) } }
        var lps = Affine.identity
        for r in 0..<3 {
            for c in 0..<3 { lps[r, c] = direction[r * 3 + c] * spacing[c] }
            lps[r, 3] = origin[r]
        }
        let affine = lps.flippingXY
        var source = VolumeSource(path: path, format: format, datatype: NIfTIWriter.exactDatatype(for: voxels))
        source.nonFiniteCount = nonFinite
        return Volume(shape: shape, affine: affine, voxels: voxels, header: .from(affine: affine), source: source)
    }

    /// ITK's component type names to NIfTI datatypes.
    static func datatype(ofComponent name: String) -> VoxelDataType? {
        let table: [String: VoxelDataType] = [
            "unsigned_char": .uint8, "char": .int8, "unsigned_short": .uint16, "short": .int16, "unsigned_int": .uint32,
            "int": .int32, "unsigned_long": .uint64, "long": .int64, "unsigned_long_long": .uint64, "long_long": .int64,
            "float": .float32, "double": .float64,
        ]
        return table[name]
    }

    static func string<T>(_ tuple: T) -> String {
        withUnsafeBytes(of: tuple) { p in String(decoding: p.prefix(while: { $0 != 0 }), as: UTF8.self) }
    }
}
