import CNIfTI
import CZlib
import Foundation

/// Reads NIfTI-1/NIfTI-2 (.nii, .nii.gz, .hdr/.img) through libnifti into a Float32 Volume.
public enum NIfTIReader {
    /// Reads volume `volumeIndex` of a 3-D or 4-D file, applying scl_slope/scl_inter.
    public static func read(path: String, volumeIndex: Int = 0) throws -> Volume {
        let probe = try NIfTIHeaderProbe.read(path: path)
        let volumeCount = probe.dims.count >= 4 ? probe.dims[3] : 1
        guard volumeIndex >= 0, volumeIndex < volumeCount else {
            throw VolumeError(path, "--volume \(volumeIndex) is out of range: the file holds \(volumeCount) volume(s)")
        }
        LibNIfTI.quiet()
        guard let nim = nifti_image_read(path, 0) else {
            throw VolumeError(path, "libnifti could not read the header")
        }
        defer { nifti_image_free(nim) }
        let shape = [Int(nim.pointee.nx), Int(nim.pointee.ny), Int(nim.pointee.nz)].map { max($0, 1) }
        let count = shape.reduce(1, *)
        guard let datatype = VoxelDataType(rawValue: nim.pointee.datatype) else {
            throw VolumeError(path, VoxelDataType.unsupportedReason(code: nim.pointee.datatype) ?? "unsupported datatype")
        }
        let bytesPerVoxel = datatype.bytes
        // Single files are read from `path` itself: given scan.nii.gz, libnifti would take the data of a sibling
        // scan.nii when one exists.
        let single = path.hasSuffix(".nii") || path.hasSuffix(".nii.gz")
        guard single || nim.pointee.iname != nil else { throw VolumeError(path, "no image file for this header") }
        let dataPath = single ? path : String(cString: nim.pointee.iname)
        let offset = Int(nim.pointee.iname_offset) + volumeIndex * count * bytesPerVoxel
        var raw = try readData(path: dataPath, reportAs: path, offset: offset, bytes: count * bytesPerVoxel,
                               compressed: probe.compressed)
        if nim.pointee.byteorder != nifti_short_order(), bytesPerVoxel > 1 {
            raw.withUnsafeMutableBytes { nifti_swap_Nbytes(Int64(count), Int32(bytesPerVoxel), $0.baseAddress) }
        }
        var slope = nim.pointee.scl_slope
        var intercept = nim.pointee.scl_inter
        if !slope.isFinite || slope == 0 { (slope, intercept) = (1, 0) }
        if !intercept.isFinite { intercept = 0 }
        var voxels = raw.withUnsafeMutableBytes {
            convert($0.baseAddress!, datatype: datatype, count: count, slope: slope, intercept: intercept)
        }
        let nonFinite = replaceNonFinite(&voxels)

        let header = spatialHeader(nim.pointee, version: probe.version)
        var source = VolumeSource(path: path, format: ["ANALYZE-7.5", "NIfTI-1", "NIfTI-2"][probe.version],
                                  datatype: datatype)
        source.scaleSlope = slope
        source.scaleIntercept = intercept
        source.volumeIndex = volumeIndex
        source.volumeCount = volumeCount
        source.nonFiniteCount = nonFinite
        return Volume(shape: shape, affine: header.bestAffine(shape: shape), voxels: voxels, header: header,
                      source: source)
    }

    /// Reads exactly `bytes` bytes at `offset` (gzip or plain, through zlib); a short read is an error, never
    /// zero-filled, and for gzip files the end of the stream and its CRC are checked when the data reaches it.
    static func readData(path: String, reportAs: String, offset: Int, bytes: Int, compressed: Bool) throws -> [UInt8] {
        guard let file = gzopen(path, "rb") else { throw VolumeError(reportAs, "cannot open \(path)") }
        defer { gzclose(file) }
        gzbuffer(file, 1 << 17)
        if offset > 0, gzseek(file, numericCast(offset), SEEK_SET) < 0 {
            throw VolumeError(reportAs, "cannot seek to the data at byte \(offset)")
        }
        var buffer = [UInt8](repeating: 0, count: bytes)
        var done = 0
        while done < bytes {
            let chunk = min(bytes - done, 1 << 30)
            let got = buffer.withUnsafeMutableBytes { gzread(file, $0.baseAddress! + done, UInt32(chunk)) }
            guard got > 0 else { break }
            done += Int(got)
        }
        var status: Int32 = Z_OK
        if done == bytes, compressed {
            var next: UInt8 = 0
            _ = gzread(file, &next, 1)  // reaching the end makes zlib verify the trailer
        }
        let message = String(cString: gzerror(file, &status))
        if done < bytes || (status != Z_OK && status != Z_STREAM_END) {
            let detail = status == Z_OK ? "" : ": \(message)"
            throw VolumeError(reportAs, (compressed ? "gzip data is truncated or damaged" : "data is truncated")
                              + " (read \(done) of \(bytes) bytes\(detail))")
        }
        return buffer
    }

    static func spatialHeader(_ nim: nifti_image, version: Int) -> SpatialHeader {
        var srows = [Double](repeating: 0, count: 16)
        withUnsafeBytes(of: nim.sto_xyz.m) { bytes in
            for i in 0..<16 { srows[i] = bytes.load(fromByteOffset: i * 8, as: Double.self) }
        }
        srows[12...15] = [0, 0, 0, 1]
        return SpatialHeader(
            qformCode: nim.qform_code, sformCode: nim.sform_code,
            quaternion: SIMD3(nim.quatern_b, nim.quatern_c, nim.quatern_d),
            qoffset: SIMD3(nim.qoffset_x, nim.qoffset_y, nim.qoffset_z), qfac: nim.qfac < 0 ? -1 : 1,
            pixdim: SIMD3(nim.dx, nim.dy, nim.dz), sform: Affine(elements: srows),
            spatialUnits: nim.xyz_units, timeUnits: nim.time_units, niftiVersion: version == 2 ? 2 : 1)
    }

    static func convert(_ raw: UnsafeMutableRawPointer, datatype: VoxelDataType, count: Int, slope: Double,
                        intercept: Double) -> [Float] {
        func map<T>(_ type: T.Type, _ value: @escaping (T) -> Double) -> [Float] {
            let typed = raw.bindMemory(to: T.self, capacity: count)
            if slope == 1 && intercept == 0 {
                return [Float](unsafeUninitializedCapacity: count) { out, n in
                    for i in 0..<count { out[i] = Float(value(typed[i])) }
                    n = count
                }
            }
            return [Float](unsafeUninitializedCapacity: count) { out, n in
                for i in 0..<count { out[i] = Float(value(typed[i]) * slope + intercept) }
                n = count
            }
        }
        switch datatype {
        case .uint8: return map(UInt8.self) { Double($0) }
        case .int8: return map(Int8.self) { Double($0) }
        case .int16: return map(Int16.self) { Double($0) }
        case .uint16: return map(UInt16.self) { Double($0) }
        case .int32: return map(Int32.self) { Double($0) }
        case .uint32: return map(UInt32.self) { Double($0) }
        case .int64: return map(Int64.self) { Double($0) }
        case .uint64: return map(UInt64.self) { Double($0) }
        case .float32: return map(Float.self) { Double($0) }
        case .float64: return map(Double.self) { $0 }
        }
    }
}

/// Process-wide libnifti settings.
enum LibNIfTI {
    /// libnifti prints warnings on stderr; VolSAM reports its own errors instead.
    static func quiet() { nifti_set_debug_level(0) }
}
