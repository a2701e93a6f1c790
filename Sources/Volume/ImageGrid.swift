import Foundation

/// The voxel grid of a loaded image (shape, voxel-to-world affine, the file it came from), kept after its voxels
/// moved on. Every "same grid" check in VolSAM goes through it.
public struct ImageGrid: Sendable, Equatable {
    /// Affine elements may differ by this much (mm) before two grids count as different.
    public static let affineTolerance = 1e-4

    public let path: String
    public let shape: [Int]
    public let affine: Affine

    public init(path: String, shape: [Int], affine: Affine) {
        self.path = path
        self.shape = shape
        self.affine = affine
    }

    public init(_ volume: Volume) {
        self.init(path: volume.source.path, shape: volume.shape, affine: volume.affine)
    }

    public var spacing: SIMD3<Double> { affine.voxelSizes }

    /// Throws, naming `other`'s file and saying whether the shape or the affine differs, unless `other` lies on
    /// this grid. `role` names this grid's file in the message ("image", "reference").
    public func requireSame(_ other: ImageGrid, role: String) throws {
        guard other.shape == shape else {
            throw VolumeError(other.path, "shape \(other.shape) differs from the \(role) \(path) \(shape): not the same grid")
        }
        let distance = other.affine.maxDifference(affine)
        guard distance <= Self.affineTolerance else {
            throw VolumeError(other.path, String(
                format: "affine differs from the %@ %@ by up to %.3g mm (tolerance %.0e): not the same grid",
                role, path, distance, Self.affineTolerance))
        }
    }

    /// `volume` on this grid: as it is when it already lies on it; its voxels reordered when it holds the same
    /// voxel centres in another voxel order (axes permuted or flipped, e.g. an LAS label map of an LPS image);
    /// otherwise an error naming its file and what differs. `reordered` says which happened; a reordered volume's
    /// header states this grid's affine.
    public func align(_ volume: Volume, role: String) throws -> (volume: Volume, reordered: Bool) {
        let other = ImageGrid(volume)
        if other.shape == shape && other.affine.maxDifference(affine) <= Self.affineTolerance { return (volume, false) }
        let mine = Reorientation(shape: shape, affine: affine)
        let theirs = Reorientation(shape: volume.shape, affine: volume.affine)
        let sameCentres = mine.canonicalShape == theirs.canonicalShape
            && mine.canonicalAffine(sourceAffine: affine).maxDifference(theirs.canonicalAffine(sourceAffine: volume.affine))
                <= Self.affineTolerance
        guard sameCentres else {
            try requireSame(other, role: role)
            return (volume, false)  // not reached: requireSame throws for any grid that differs
        }
        let voxels = mine.toSource(theirs.toCanonical(volume.voxels))
        return (Volume(shape: shape, affine: affine, voxels: voxels, header: .from(affine: affine), source: volume.source), true)
    }
}
