import CNIfTI
import Foundation

/// Writes NIfTI files through libnifti with a given header geometry, atomically (temporary file, then rename).
public enum NIfTIWriter {
    /// The smallest label datatype holding `maxLabel` (uint8, else uint16, else int32).
    public static func labelDatatype(maxLabel: Int) -> VoxelDataType {
        maxLabel <= 255 ? .uint8 : maxLabel <= 65535 ? .uint16 : .int32
    }

    /// The smallest datatype that stores every value exactly (integers), or float32.
    public static func exactDatatype(for voxels: [Float]) -> VoxelDataType {
        var lo = Float.infinity, hi = -Float.infinity
        for v in voxels {
            if v.rounded() != v { return .float32 }
            lo = min(lo, v)
            hi = max(hi, v)
        }
        if voxels.isEmpty { return .uint8 }
        for type in [VoxelDataType.uint8, .int16, .uint16, .int32] where type.integerRange!.contains(Double(lo))
            && type.integerRange!.contains(Double(hi)) && abs(Double(hi)) < 16_777_216 && abs(Double(lo)) < 16_777_216 {
            return type
        }
        return .float32
    }

    /// The source's own datatype when it still holds every value exactly (float sources stay float), else the
    /// smallest exact one.
    public static func datatype(for voxels: [Float], source: VoxelDataType) -> VoxelDataType {
        if !source.isInteger { return source }
        let exact = exactDatatype(for: voxels)
        guard exact.isInteger, let range = source.integerRange, source.bytes <= 4 else { return exact }
        let (lo, hi) = (voxels.min() ?? 0, voxels.max() ?? 0)
        return range.contains(Double(lo)) && range.contains(Double(hi)) ? source : exact
    }

    /// Writes `voxels` (axis 0 fastest, `shape` = 3 dims) as `datatype` to `path` (.nii or .nii.gz).
    /// `isLabelMap` sets the NIfTI label intent. Values must fit the datatype (integers are rounded).
    public static func write(voxels: [Float], shape: [Int], header: SpatialHeader, datatype: VoxelDataType,
                             to path: String, isLabelMap: Bool = false) throws {
        guard shape.count == 3, shape.allSatisfy({ $0 >= 1 }), voxels.count == shape.reduce(1, *) else {
            throw VolumeError(path, "internal error: \(voxels.count) voxels do not fill shape \(shape)")
        }
        let ext: String
        if path.hasSuffix(".nii.gz") { ext = ".nii.gz" } else if path.hasSuffix(".nii") { ext = ".nii" } else {
            throw VolumeError(path, "output must end in .nii or .nii.gz")
        }
        if let range = datatype.integerRange {
            if let bad = voxels.first(where: { !range.contains(Double($0.rounded())) }) {
                throw VolumeError(path, "value \(bad) does not fit the output datatype \(datatype)")
            }
        }
        let temporary = try AtomicOutput.temporaryPath(for: path, keepingExtension: ext)
        do {
            try writeFile(voxels: voxels, shape: shape, header: header, datatype: datatype, path: temporary,
                          isLabelMap: isLabelMap)
            let check = try NIfTIHeaderProbe.read(path: temporary)
            guard Array(check.dims.prefix(3)) == shape else { throw VolumeError(path, "written header does not verify") }
        } catch let error as VolumeError {
            unlink(temporary)
            throw VolumeError(path, error.problem)
        }
        try AtomicOutput.commit(temporary: temporary, to: path)
    }

    private static func writeFile(voxels: [Float], shape: [Int], header: SpatialHeader, datatype: VoxelDataType,
                                  path: String, isLabelMap: Bool) throws {
        LibNIfTI.quiet()
        var dims: [Int64] = [3, Int64(shape[0]), Int64(shape[1]), Int64(shape[2]), 1, 1, 1, 1]
        guard let nim = nifti_make_new_nim(&dims, datatype.rawValue, 1) else {
            throw VolumeError(path, "libnifti could not create an image")
        }
        defer { nifti_image_free(nim) }
        fill(nim.pointee.data, voxels: voxels, datatype: datatype)
        apply(header, to: nim)
        nim.pointee.scl_slope = 1
        nim.pointee.scl_inter = 0
        nim.pointee.intent_code = isLabelMap ? NIFTI_INTENT_LABEL : 0
        guard nifti_set_filenames(nim, path, 0, 1) == 0 else {
            throw VolumeError(path, "libnifti rejected the output file name")
        }
        if header.niftiVersion == 2 {
            try writeNIfTI2(nim, path: path)
        } else {
            nifti_image_write(nim)
        }
        guard FileManager.default.fileExists(atPath: path) else {
            throw VolumeError(path, "libnifti could not write the file (disk full or permission denied?)")
        }
    }

    /// libnifti 3.0.1's nifti_image_write loses the header of single-file NIfTI-2 output, so VolSAM writes the
    /// header libnifti converts, the empty extension flag and the data itself.
    private static func writeNIfTI2(_ nim: UnsafeMutablePointer<nifti_image>, path: String) throws {
        nim.pointee.nifti_type = NIFTI_FTYPE_NIFTI2_1
        nim.pointee.iname_offset = 544
        var header = nifti_2_header()
        guard nifti_convert_nim2n2hdr(nim, &header) == 0 else {
            throw VolumeError(path, "libnifti could not build a NIfTI-2 header")
        }
        header.vox_offset = 544
        guard let file = znzopen(path, "wb", path.hasSuffix(".gz") ? 1 : 0) else {
            throw VolumeError(path, "cannot open the output file for writing")
        }
        var handle: znzFile? = file
        defer { Xznzclose(&handle) }
        let bytes = Int(nim.pointee.nvox) * Int(nim.pointee.nbyper)
        var extensionFlag: [UInt8] = [0, 0, 0, 0]
        let written = withUnsafeBytes(of: &header) { znzwrite($0.baseAddress, 1, 540, file) }
            + znzwrite(&extensionFlag, 1, 4, file) + znzwrite(nim.pointee.data, 1, bytes, file)
        guard written == 544 + bytes else { throw VolumeError(path, "short write (disk full?)") }
    }

    private static func apply(_ h: SpatialHeader, to nim: UnsafeMutablePointer<nifti_image>) {
        nim.pointee.qform_code = h.qformCode
        nim.pointee.sform_code = h.sformCode
        (nim.pointee.quatern_b, nim.pointee.quatern_c, nim.pointee.quatern_d) = (h.quaternion.x, h.quaternion.y, h.quaternion.z)
        (nim.pointee.qoffset_x, nim.pointee.qoffset_y, nim.pointee.qoffset_z) = (h.qoffset.x, h.qoffset.y, h.qoffset.z)
        nim.pointee.qfac = h.qfac
        (nim.pointee.dx, nim.pointee.dy, nim.pointee.dz) = (h.pixdim.x, h.pixdim.y, h.pixdim.z)
        withUnsafeMutableBytes(of: &nim.pointee.pixdim) { p in
            p.storeBytes(of: h.qfac, toByteOffset: 0, as: Double.self)
            for a in 0..<3 { p.storeBytes(of: h.pixdim[a], toByteOffset: 8 * (a + 1), as: Double.self) }
        }
        nim.pointee.qto_xyz = nifti_quatern_to_dmat44(h.quaternion.x, h.quaternion.y, h.quaternion.z, h.qoffset.x,
                                                      h.qoffset.y, h.qoffset.z, h.pixdim.x, h.pixdim.y, h.pixdim.z, h.qfac)
        withUnsafeMutableBytes(of: &nim.pointee.sto_xyz.m) { p in
            for i in 0..<16 { p.storeBytes(of: h.sform.m[i], toByteOffset: 8 * i, as: Double.self) }
        }
        nim.pointee.xyz_units = h.spatialUnits
        nim.pointee.time_units = h.timeUnits
    }

    private static func fill(_ data: UnsafeMutableRawPointer?, voxels: [Float], datatype: VoxelDataType) {
        guard let data else { return }
        func store<T>(_ type: T.Type, _ convert: (Float) -> T) {
            let typed = data.bindMemory(to: T.self, capacity: voxels.count)
            for i in voxels.indices { typed[i] = convert(voxels[i]) }
        }
        switch datatype {
        case .uint8: store(UInt8.self) { UInt8($0.rounded()) }
        case .int8: store(Int8.self) { Int8($0.rounded()) }
        case .int16: store(Int16.self) { Int16($0.rounded()) }
        case .uint16: store(UInt16.self) { UInt16($0.rounded()) }
        case .int32: store(Int32.self) { Int32($0.rounded()) }
        case .uint32: store(UInt32.self) { UInt32($0.rounded()) }
        case .int64: store(Int64.self) { Int64($0.rounded()) }
        case .uint64: store(UInt64.self) { UInt64($0.rounded()) }
        case .float32: store(Float.self) { $0 }
        case .float64: store(Double.self) { Double($0) }
        }
    }
}
