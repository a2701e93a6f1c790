import Foundation

/// The geometry fields of a NIfTI header (qform, sform, codes, units), kept so outputs overlay their input exactly.
public struct SpatialHeader: Sendable, Equatable {
    public var qformCode: Int32
    public var sformCode: Int32
    /// quatern_b, quatern_c, quatern_d.
    public var quaternion: SIMD3<Double>
    public var qoffset: SIMD3<Double>
    /// pixdim[0]: -1 flips the third axis of the qform.
    public var qfac: Double
    /// pixdim[1...3].
    public var pixdim: SIMD3<Double>
    /// srow_x, srow_y, srow_z as a 4x4 (last row 0 0 0 1).
    public var sform: Affine
    /// NIfTI xyzt_units spatial and temporal parts.
    public var spatialUnits: Int32
    public var timeUnits: Int32
    /// 1 for NIfTI-1, 2 for NIfTI-2 (outputs are written in the same version).
    public var niftiVersion: Int

    public init(qformCode: Int32, sformCode: Int32, quaternion: SIMD3<Double>, qoffset: SIMD3<Double>, qfac: Double,
                pixdim: SIMD3<Double>, sform: Affine, spatialUnits: Int32 = 2, timeUnits: Int32 = 0,
                niftiVersion: Int = 1) {
        self.qformCode = qformCode
        self.sformCode = sformCode
        self.quaternion = quaternion
        self.qoffset = qoffset
        self.qfac = qfac
        self.pixdim = pixdim
        self.sform = sform
        self.spatialUnits = spatialUnits
        self.timeUnits = timeUnits
        self.niftiVersion = niftiVersion
    }

    /// The qform's matrix as nibabel computes it (Nifti1Header.get_qform).
    public var qformAffine: Affine {
        let b = quaternion.x, c = quaternion.y, d = quaternion.z
        let w2 = 1.0 - (b * b + c * c + d * d)
        let w = w2 > 0 ? w2.squareRoot() : 0
        let nq = w * w + b * b + c * c + d * d
        var r = [1.0, 0, 0, 0, 1, 0, 0, 0, 1]
        if nq > 1e-300 {
            let s = 2.0 / nq
            let (x, y, z) = (b, c, d)
            let (xs, ys, zs) = (x * s, y * s, z * s)
            let (wx, wy, wz) = (w * xs, w * ys, w * zs)
            let (xx, xy, xz) = (x * xs, x * ys, x * zs)
            let (yy, yz, zz) = (y * ys, y * zs, z * zs)
            r = [1 - (yy + zz), xy - wz, xz + wy, xy + wz, 1 - (xx + zz), yz - wx, xz - wy, yz + wx, 1 - (xx + yy)]
        }
        var zooms = SIMD3(abs(pixdim.x), abs(pixdim.y), abs(pixdim.z))
        zooms.z *= qfac < 0 ? -1 : 1
        var out = Affine.identity
        for row in 0..<3 {
            for col in 0..<3 { out[row, col] = r[row * 3 + col] * zooms[col] }
            out[row, 3] = qoffset[row]
        }
        return out
    }

    /// The voxel-to-world affine exactly as nibabel defines it: sform when sform_code > 0, else qform when
    /// qform_code > 0, else the pixdim scaling centred on the grid with x flipped (nibabel's base affine).
    public func bestAffine(shape: [Int]) -> Affine {
        if sformCode > 0 { return sform }
        if qformCode > 0 { return qformAffine }
        var zooms = [pixdim.x, pixdim.y, pixdim.z].map { $0 == 0 ? 1.0 : $0 }
        zooms[0] *= -1
        var out = Affine.identity
        for a in 0..<3 {
            out[a, a] = zooms[a]
            out[a, 3] = -Double(shape[a] - 1) / 2.0 * zooms[a]
        }
        return out
    }

    /// Which of the three sources the best affine came from.
    public var affineSource: String {
        sformCode > 0 ? "sform (code \(sformCode))" : qformCode > 0 ? "qform (code \(qformCode))" : "pixdim (no qform/sform)"
    }

    /// A header that states `affine` through both the sform and the qform (scanner coordinates), as ITK and dcm2niix
    /// write it; used for volumes that did not come from a NIfTI file.
    public static func from(affine: Affine) -> SpatialHeader {
        let linear = Matrix3(affine: affine)
        let sizes = affine.voxelSizes
        var rotation = linear.m
        for r in 0..<3 { for c in 0..<3 { rotation[r * 3 + c] /= sizes[c] == 0 ? 1 : sizes[c] } }
        var qfac = 1.0
        if Matrix3(rotation).determinant < 0 {
            qfac = -1
            for r in 0..<3 { rotation[r * 3 + 2] = -rotation[r * 3 + 2] }
        }
        let q = Self.quaternion(ofRotation: Matrix3(rotation).orthogonalPolarFactor ?? Matrix3(rotation))
        return SpatialHeader(qformCode: 1, sformCode: 1, quaternion: q, qoffset: affine.translation, qfac: qfac,
                             pixdim: sizes, sform: affine)
    }

    /// (b, c, d) of a proper rotation with a >= 0 (the NIfTI-1 standard's mat44_to_quatern).
    static func quaternion(ofRotation r: Matrix3) -> SIMD3<Double> {
        let m = r.m
        let (r11, r12, r13, r21, r22, r23, r31, r32, r33) = (m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8])
        var a = r11 + r22 + r33 + 1
        var b, c, d: Double
        if a > 0.5 {
            a = 0.5 * a.squareRoot()
            b = 0.25 * (r32 - r23) / a
            c = 0.25 * (r13 - r31) / a
            d = 0.25 * (r21 - r12) / a
        } else {
            let xd = 1 + r11 - (r22 + r33), yd = 1 + r22 - (r11 + r33), zd = 1 + r33 - (r11 + r22)
            if xd > 1 {
                b = 0.5 * xd.squareRoot(); c = 0.25 * (r12 + r21) / b; d = 0.25 * (r13 + r31) / b; a = 0.25 * (r32 - r23) / b
            } else if yd > 1 {
                c = 0.5 * yd.squareRoot(); b = 0.25 * (r12 + r21) / c; d = 0.25 * (r23 + r32) / c; a = 0.25 * (r13 - r31) / c
            } else {
                d = 0.5 * zd.squareRoot(); b = 0.25 * (r13 + r31) / d; c = 0.25 * (r23 + r32) / d; a = 0.25 * (r21 - r12) / d
            }
            if a < 0 { b = -b; c = -c; d = -d }
        }
        return SIMD3(b, c, d)
    }
}
