import Foundation
import Imaging

/// A volume in VolSAM's processing layout: axis 0 -> patient Left, 1 -> Posterior, 2 -> Superior (closest canonical
/// LPS, no resampling). The 2-D image of axial slice k has rows = axis 1 and columns = axis 0, as DICOM stores it.
/// Keeps the exact map back to the file's own grid and header.
public struct CanonicalVolume: Sendable {
    /// Canonical shape (width = axis 0, height = axis 1, slices = axis 2).
    public let shape: [Int]
    /// Canonical voxel-to-world affine (RAS+ mm).
    public let affine: Affine
    public var voxels: [Float]
    /// The permutation/flips from the file's grid.
    public let reorientation: Reorientation
    /// The source volume's header, shape and provenance, for writing results back in the input's grid.
    public let sourceHeader: SpatialHeader
    public let sourceShape: [Int]
    public let source: VolumeSource

    public init(_ volume: consuming Volume) {
        let reorientation = Reorientation(shape: volume.shape, affine: volume.affine)
        self.reorientation = reorientation
        shape = reorientation.canonicalShape
        affine = reorientation.canonicalAffine(sourceAffine: volume.affine)
        var moved: [Float] = []
        swap(&moved, &volume.voxels)
        voxels = reorientation.toCanonical(consuming: moved)
        sourceHeader = volume.header
        sourceShape = volume.shape
        source = volume.source
    }

    public var width: Int { shape[0] }
    public var height: Int { shape[1] }
    public var sliceCount: Int { shape[2] }

    /// Voxel size along the canonical axes (mm).
    public var spacing: SIMD3<Double> { affine.voxelSizes }

    /// Axial slice k as a row-major image (rows = axis 1, columns = axis 0).
    public func slice(_ k: Int) -> ImageSlice {
        precondition((0..<sliceCount).contains(k), "slice \(k) outside 0..<\(sliceCount)")
        let n = width * height
        return ImageSlice(width: width, height: height, pixels: Array(voxels[(k * n)..<((k + 1) * n)]))
    }

    /// D consecutive slices centred on k (slice k at index D/2), edges repeated beyond the volume, for the depth path.
    public func stack(center k: Int, depth: Int) -> SliceStack {
        precondition(depth >= 1 && (0..<sliceCount).contains(k))
        let first = k - depth / 2
        let indices = (0..<depth).map { min(max(first + $0, 0), sliceCount - 1) }
        let n = width * height
        var pixels = [Float]()
        pixels.reserveCapacity(n * depth)
        for s in indices { pixels.append(contentsOf: voxels[(s * n)..<((s + 1) * n)]) }
        return SliceStack(width: width, height: height, sliceIndices: indices, pixels: pixels)
    }

    /// Takes canonical-grid values back to the file's own grid (the exact inverse of the reorientation).
    public func toSourceGrid<T>(_ canonical: [T]) -> [T] { reorientation.toSource(canonical) }

    /// The canonical volume with other voxel values (same grid), e.g. after normalization.
    public func with(voxels newVoxels: [Float]) -> CanonicalVolume {
        precondition(newVoxels.count == voxels.count)
        var copy = self
        copy.voxels = newVoxels
        return copy
    }
}
