import CNIfTI
import Foundation

/// Checks a NIfTI/ANALYZE header's raw bytes before libnifti reads it, so damaged or absurd files fail with a clear
/// message and nothing is allocated for data the file cannot hold.
struct NIfTIHeaderProbe {
    let version: Int  // 0 ANALYZE, 1 NIfTI-1, 2 NIfTI-2
    let swapped: Bool
    let dims: [Int]  // dim[1...dim[0]]
    let datatype: VoxelDataType
    let dataOffset: Int
    let compressed: Bool

    /// Largest voxel count accepted (2^31: about 8 GB as Float32).
    static let maxVoxels = 1 << 31

    static func read(path: String) throws -> NIfTIHeaderProbe {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw VolumeError(path, "no such file")
        }
        if isDirectory.boolValue { throw VolumeError(path, "is a folder, not a NIfTI file") }
        guard FileManager.default.isReadableFile(atPath: path) else { throw VolumeError(path, "file is not readable") }
        let raw = try readPrefix(path: path, count: 544)
        let compressed = (try? FileHandle(forReadingFrom: URL(fileURLWithPath: path)).read(upToCount: 2))
            .map { $0 == Data([0x1f, 0x8b]) } ?? false
        guard raw.count >= 348 else {
            throw VolumeError(path, raw.isEmpty ? "file is empty" : "too short to be a NIfTI file (\(raw.count) bytes)")
        }
        let bytes = [UInt8](raw)
        let size = int32(bytes, 0, swapped: false)
        let version: Int
        let swapped: Bool
        switch size {
        case 348: (version, swapped) = (1, false)
        case 540: (version, swapped) = (2, false)
        case Int32(348).byteSwapped: (version, swapped) = (1, true)
        case Int32(540).byteSwapped: (version, swapped) = (2, true)
        default:
            throw VolumeError(path, "not a NIfTI file (header size field is \(size), expected 348 or 540)")
        }
        if version == 2 {
            guard bytes.count >= 540 else { throw VolumeError(path, "NIfTI-2 header truncated (\(bytes.count) bytes)") }
            let magic = String(decoding: bytes[4..<7], as: UTF8.self)
            guard magic == "n+2" || magic == "ni2" else { throw VolumeError(path, "NIfTI-2 header has a bad magic string") }
        }
        let magic1 = String(decoding: bytes[344..<347], as: UTF8.self)
        let nifti1 = magic1 == "n+1" || magic1 == "ni1"
        if version == 1, isSingleFile(path), magic1 != "n+1" {
            let found = bytes[344..<348].map { (32...126).contains($0) ? String(UnicodeScalar($0)) : String(format: "\\x%02x", $0) }
            throw VolumeError(path, "header magic is '\(found.joined())', not 'n+1': not a single-file NIfTI-1 (read as "
                              + "ANALYZE 7.5 it would lose its orientation; ANALYZE is read only as a .hdr/.img pair)")
        }
        let ndim = version == 2 ? Int(int64(bytes, 16, swapped: swapped)) : Int(int16(bytes, 40, swapped: swapped))
        guard (1...7).contains(ndim) else {
            throw VolumeError(path, "header dim[0] = \(ndim) is not a number of dimensions (1 to 7)")
        }
        var dims: [Int] = []
        for d in 1...ndim {
            let value = version == 2 ? Int(int64(bytes, 16 + 8 * d, swapped: swapped))
                : Int(int16(bytes, 40 + 2 * d, swapped: swapped))
            guard value >= 1 else { throw VolumeError(path, "header dimension \(d) is \(value); dimensions must be >= 1") }
            dims.append(value)
        }
        if dims.count > 4, dims[4...].contains(where: { $0 > 1 }) {
            throw VolumeError(path, "\(ndim)-D data (dims \(dims)) is not supported; VolSAM reads 3-D and 4-D volumes")
        }
        var voxels = 1
        for d in dims {
            let (product, overflow) = voxels.multipliedReportingOverflow(by: d)
            guard !overflow, product <= maxVoxels else {
                throw VolumeError(path, "header dims \(dims) are absurd (more than \(maxVoxels) voxels); refusing to allocate")
            }
            voxels = product
        }
        let code = version == 2 ? Int32(int16(bytes, 12, swapped: swapped)) : Int32(int16(bytes, 70, swapped: swapped))
        if let reason = VoxelDataType.unsupportedReason(code: code) { throw VolumeError(path, reason) }
        let datatype = VoxelDataType(rawValue: code)!
        let offset: Int
        if version == 2 {
            offset = Int(int64(bytes, 168, swapped: swapped))
        } else {
            let f = Float(bitPattern: UInt32(bitPattern: int32(bytes, 108, swapped: swapped)))
            guard f.isFinite, f >= 0, f < 1e12 else { throw VolumeError(path, "header vox_offset \(f) is invalid") }
            offset = Int(f)
        }
        guard offset >= 0, offset < 1 << 40 else { throw VolumeError(path, "header vox_offset \(offset) is invalid") }
        let physical = Double(ProcessInfo.processInfo.physicalMemory)
        let needed = Double(voxels) * Double(datatype.bytes + 4)
        if needed > physical * 0.8 {
            throw VolumeError(path, String(format: "volume needs %.1f GB but the machine has %.1f GB; refusing to allocate",
                                           needed / 1e9, physical / 1e9))
        }
        let probe = NIfTIHeaderProbe(version: version == 1 && !nifti1 ? 0 : version, swapped: swapped, dims: dims,
                                     datatype: datatype, dataOffset: offset, compressed: compressed)
        try probe.checkDataSize(path: path, voxels: voxels)
        return probe
    }

    /// A .nii or .nii.gz file holds header and data together; a .hdr names a header beside its .img.
    private static func isSingleFile(_ path: String) -> Bool {
        path.hasSuffix(".nii") || path.hasSuffix(".nii.gz")
    }

    /// For an uncompressed single file the data must fit in the file; compressed files are checked while reading.
    private func checkDataSize(path: String, voxels: Int) throws {
        guard !compressed, version != 0, !path.hasSuffix(".hdr") else { return }
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        guard let fileSize = (attributes?[.size] as? NSNumber)?.intValue else { return }
        let offset = max(dataOffset, version == 2 ? 544 : 352)
        let needed = offset + voxels * datatype.bytes
        if fileSize < needed {
            throw VolumeError(path, "file is truncated or its header dims are wrong: dims \(dims) of \(datatype) need "
                              + "\(needed) bytes, the file has \(fileSize)")
        }
    }

    private static func readPrefix(path: String, count: Int) throws -> Data {
        guard let file = znzopen(path, "rb", 1) else { throw VolumeError(path, "cannot open the file") }
        var handle: znzFile? = file
        defer { Xznzclose(&handle) }
        var buffer = [UInt8](repeating: 0, count: count)
        let got = buffer.withUnsafeMutableBytes { znzread($0.baseAddress, 1, count, file) }
        guard got >= 0, got <= count else { throw VolumeError(path, "cannot read the header (damaged gzip stream?)") }
        return Data(buffer.prefix(got))
    }

    private static func int16(_ b: [UInt8], _ at: Int, swapped: Bool) -> Int16 {
        let v = UInt16(b[at]) | UInt16(b[at + 1]) << 8
        return Int16(bitPattern: swapped ? v.byteSwapped : v)
    }

    private static func int32(_ b: [UInt8], _ at: Int, swapped: Bool) -> Int32 {
        var v: UInt32 = 0
        for i in 0..<4 { v |= UInt32(b[at + i]) << (8 * i) }
        return Int32(bitPattern: swapped ? v.byteSwapped : v)
    }

    private static func int64(_ b: [UInt8], _ at: Int, swapped: Bool) -> Int64 {
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(b[at + i]) << (8 * i) }
        return Int64(bitPattern: swapped ? v.byteSwapped : v)
    }
}
