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
        var slope = nim.pointee.scl_slope
        var intercept = nim.pointee.scl_inter
        if !slope.isFinite || slope == 0 { (slope, intercept) = (1, 0) }
        if !intercept.isFinite { intercept = 0 }
        let (voxels, nonFinite) = try VoxelDecoder.decode(.init(
            path: dataPath, reportAs: path, offset: offset, count: count, datatype: datatype,
            byteSwapped: nim.pointee.byteorder != nifti_short_order(), slope: slope, intercept: intercept,
            compressed: probe.compressed))

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
}

/// Process-wide libnifti settings.
enum LibNIfTI {
    /// libnifti prints warnings on stderr; VolSAM reports its own errors instead.
    static func quiet() { nifti_set_debug_level(0) }
}
