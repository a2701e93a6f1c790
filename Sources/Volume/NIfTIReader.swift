import CNIfTI
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
        var bricks = nifti_brick_list()
        var image: UnsafeMutablePointer<nifti_image>?
        if volumeCount > 1 {
            var wanted = [Int64(volumeIndex)]
            image = nifti_image_read_bricks(path, 1, &wanted, &bricks)
        } else {
            image = nifti_image_read(path, 1)
        }
        guard let nim = image else {
            throw VolumeError(path, "libnifti could not read the file (damaged header or data)")
        }
        defer {
            if volumeCount > 1 { nifti_free_NBL(&bricks) }
            nifti_image_free(nim)
        }
        let data: UnsafeMutableRawPointer? = volumeCount > 1 ? (bricks.nbricks == 1 ? bricks.bricks?[0] : nil) : nim.pointee.data
        guard let raw = data else {
            throw VolumeError(path, probe.compressed ? "data is truncated or the gzip stream is damaged"
                              : "data is truncated or unreadable")
        }
        let shape = [Int(nim.pointee.nx), Int(nim.pointee.ny), Int(nim.pointee.nz)].map { max($0, 1) }
        let count = shape.reduce(1, *)
        guard let datatype = VoxelDataType(rawValue: nim.pointee.datatype) else {
            throw VolumeError(path, VoxelDataType.unsupportedReason(code: nim.pointee.datatype) ?? "unsupported datatype")
        }
        var slope = nim.pointee.scl_slope
        var intercept = nim.pointee.scl_inter
        if !slope.isFinite || slope == 0 { (slope, intercept) = (1, 0) }
        if !intercept.isFinite { intercept = 0 }
        var voxels = convert(raw, datatype: datatype, count: count, slope: slope, intercept: intercept)
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
