import Foundation

/// Where a volume came from and what its file held.
public struct VolumeSource: Sendable, Equatable {
    public var path: String
    /// "NIfTI-1", "NIfTI-2", "ANALYZE-7.5" or "DICOM".
    public var format: String
    public var datatype: VoxelDataType
    /// The NIfTI scl_slope/scl_inter applied while reading (slope 1, inter 0 when none).
    public var scaleSlope: Double = 1
    public var scaleIntercept: Double = 0
    /// The volume picked from a 4-D file, and how many it holds.
    public var volumeIndex: Int = 0
    public var volumeCount: Int = 1
    /// NaN or infinite voxels found, replaced by the smallest finite value.
    public var nonFiniteCount: Int = 0
    /// DICOM Modality tag ("CT", "MR", ...), nil for NIfTI.
    public var dicomModality: String?
    public var seriesUID: String?
    public var seriesDescription: String?

    public init(path: String, format: String, datatype: VoxelDataType) {
        self.path = path
        self.format = format
        self.datatype = datatype
    }
}

/// A 3-D scalar volume: shape, voxel-to-world affine (RAS+ mm) and contiguous Float32 voxels, axis 0 fastest.
public struct Volume: Sendable {
    /// Voxels along each axis (3 values).
    public let shape: [Int]
    public var affine: Affine
    public var voxels: [Float]
    /// The header geometry written to outputs derived from this volume.
    public var header: SpatialHeader
    public var source: VolumeSource

    public init(shape: [Int], affine: Affine, voxels: [Float], header: SpatialHeader, source: VolumeSource) {
        precondition(shape.count == 3 && voxels.count == shape.reduce(1, *), "voxel count must match the shape")
        self.shape = shape
        self.affine = affine
        self.voxels = voxels
        self.header = header
        self.source = source
    }

    public var voxelCount: Int { voxels.count }

    /// Physical voxel size along each axis in mm (the affine's column lengths).
    public var spacing: SIMD3<Double> { affine.voxelSizes }

    public var orientation: AxisOrientation { AxisOrientation(affine: affine) }

    public func linearIndex(_ i: Int, _ j: Int, _ k: Int) -> Int { i + shape[0] * (j + shape[1] * k) }

    public subscript(i: Int, j: Int, k: Int) -> Float { voxels[linearIndex(i, j, k)] }

    /// Smallest and largest voxel values.
    public var range: (min: Float, max: Float) {
        var lo = Float.infinity, hi = -Float.infinity
        for v in voxels {
            lo = Swift.min(lo, v)
            hi = Swift.max(hi, v)
        }
        return voxels.isEmpty ? (0, 0) : (lo, hi)
    }

    /// The same volume permuted/flipped (no resampling) into VolSAM's processing layout, canonical LPS.
    /// Copies the voxels; `CanonicalVolume(consuming:)` avoids the copy when the volume is no longer needed.
    public func canonical() -> CanonicalVolume { CanonicalVolume(self) }
}

/// Replaces NaN/inf voxels with the smallest finite value; returns how many there were.
func replaceNonFinite(_ voxels: inout [Float]) -> Int {
    var count = 0
    var lowest = Float.infinity
    for v in voxels {
        if v.isFinite { lowest = min(lowest, v) } else { count += 1 }
    }
    guard count > 0 else { return 0 }
    let fill = lowest.isFinite ? lowest : 0
    for i in voxels.indices where !voxels[i].isFinite { voxels[i] = fill }
    return count
}
