import Foundation
import Parallelism

/// An exact permutation/flip of voxel axes (no resampling) from a file's own grid to the canonical LPS layout, and back.
public struct Reorientation: Sendable, Equatable {
    /// Shape of the file's own grid.
    public let sourceShape: [Int]
    /// sourceAxis[c]: the file axis that becomes canonical axis c.
    public let sourceAxis: [Int]
    /// flipped[c]: canonical axis c runs opposite to its file axis.
    public let flipped: [Bool]

    /// The reorientation that brings a grid with the given affine to canonical LPS.
    public init(shape: [Int], affine: Affine) {
        precondition(shape.count == 3)
        let orientation = AxisOrientation(affine: affine)
        var source = [Int](repeating: 0, count: 3)
        var flips = [Bool](repeating: false, count: 3)
        for a in 0..<3 {
            let c = orientation.worldAxis[a]
            source[c] = a
            flips[c] = orientation.sign[a] != AxisOrientation.canonicalLPS.sign[c]
        }
        sourceShape = shape
        sourceAxis = source
        flipped = flips
    }

    /// True when the file is already in the canonical layout.
    public var isIdentity: Bool { sourceAxis == [0, 1, 2] && flipped == [false, false, false] }

    /// Shape of the canonical grid.
    public var canonicalShape: [Int] { sourceAxis.map { sourceShape[$0] } }

    /// Maps canonical voxel indices to file voxel indices (as a 4x4 index transform).
    public var canonicalToSource: Affine {
        var t = Affine(elements: [Double](repeating: 0, count: 16))
        t[3, 3] = 1
        for c in 0..<3 {
            let a = sourceAxis[c]
            if flipped[c] {
                t[a, c] = -1
                t[a, 3] = Double(sourceShape[a] - 1)
            } else {
                t[a, c] = 1
            }
        }
        return t
    }

    /// The canonical grid's voxel-to-world affine.
    public func canonicalAffine(sourceAffine: Affine) -> Affine { sourceAffine * canonicalToSource }

    /// For each canonical axis, the file's linear-index start offset and signed stride.
    private var walk: (start: Int, strides: [Int]) {
        let fileStrides = [1, sourceShape[0], sourceShape[0] * sourceShape[1]]
        var start = 0
        var strides = [0, 0, 0]
        for c in 0..<3 {
            let a = sourceAxis[c]
            if flipped[c] {
                start += (sourceShape[a] - 1) * fileStrides[a]
                strides[c] = -fileStrides[a]
            } else {
                strides[c] = fileStrides[a]
            }
        }
        return (start, strides)
    }

    /// Reorders voxels from the file's grid into the canonical grid.
    public func toCanonical<T>(_ source: [T]) -> [T] {
        precondition(source.count == sourceShape.reduce(1, *), "voxel count does not match the reorientation's shape")
        if isIdentity { return source }
        return reorder(source, gatherFromSource: true)
    }

    /// toCanonical without a second buffer when only flips are needed (the common RAS/LAS -> LPS case).
    public func toCanonical<T>(consuming source: consuming [T]) -> [T] {
        guard sourceAxis == [0, 1, 2] else { return toCanonical(source) }
        var voxels = source
        flipInPlace(&voxels)
        return voxels
    }

    /// Flips axes in place by swapping mirrored elements (valid when no axes are permuted).
    private func flipInPlace<T>(_ voxels: inout [T]) {
        let (nx, ny, nz) = (sourceShape[0], sourceShape[1], sourceShape[2])
        let plane = nx * ny
        voxels.withUnsafeMutableBufferPointer { buffer in
            let p = UncheckedBox(buffer.baseAddress!)
            let flips = flipped
            if flips[0] || flips[1] {
                ParallelLoop.forRanges(count: nz, minimumChunk: 1) { slices in
                    for k in slices {
                        let slice = p.value + k * plane
                        if flips[0] && flips[1] {  // both in-plane axes: reverse the whole slice
                            var (a, b) = (0, plane - 1)
                            while a < b { swap(&slice[a], &slice[b]); a += 1; b -= 1 }
                        } else if flips[0] {
                            for j in 0..<ny {
                                var (a, b) = (j * nx, j * nx + nx - 1)
                                while a < b { swap(&slice[a], &slice[b]); a += 1; b -= 1 }
                            }
                        } else {
                            for j in 0..<(ny / 2) {
                                let top = slice + j * nx, bottom = slice + (ny - 1 - j) * nx
                                for i in 0..<nx { swap(&top[i], &bottom[i]) }
                            }
                        }
                    }
                }
            }
            if flips[2] {
                ParallelLoop.forRanges(count: plane, minimumChunk: 1 << 12) { range in
                    for k in 0..<(nz / 2) {
                        let a = p.value + k * plane, b = p.value + (nz - 1 - k) * plane
                        for i in range { swap(&a[i], &b[i]) }
                    }
                }
            }
        }
    }

    /// Reorders voxels from the canonical grid back into the file's own grid (the exact inverse of toCanonical).
    public func toSource<T>(_ canonical: [T]) -> [T] {
        precondition(canonical.count == sourceShape.reduce(1, *), "voxel count does not match the reorientation's shape")
        if isIdentity { return canonical }
        return reorder(canonical, gatherFromSource: false)
    }

    /// Walks the canonical grid row by row; each canonical row is a strided run of the file's grid.
    /// Gathering reads that run into the canonical row; scattering writes the canonical row back into it.
    private func reorder<T>(_ input: [T], gatherFromSource: Bool) -> [T] {
        let (start, strides) = walk
        let shape = canonicalShape
        let rows = shape[1] * shape[2]
        let width = shape[0]
        return input.withUnsafeBufferPointer { src in
            [T](unsafeUninitializedCapacity: input.count) { out, initialized in
                let source = UncheckedBox(src.baseAddress!), target = UncheckedBox(out.baseAddress!)
                ParallelLoop.forRanges(count: rows, minimumChunk: max(1, (1 << 16) / max(1, width))) { range in
                    for row in range {
                        let j = row % shape[1], k = row / shape[1]
                        let fileStart = start + j * strides[1] + k * strides[2]
                        let canonicalStart = row * width
                        let step = strides[0]
                        if gatherFromSource {
                            let to = target.value + canonicalStart
                            if step == 1 {
                                to.initialize(from: source.value + fileStart, count: width)
                            } else {
                                for i in 0..<width { (to + i).initialize(to: source.value[fileStart + i * step]) }
                            }
                        } else {
                            let from = source.value + canonicalStart
                            if step == 1 {
                                (target.value + fileStart).initialize(from: from, count: width)
                            } else {
                                for i in 0..<width { (target.value + fileStart + i * step).initialize(to: from[i]) }
                            }
                        }
                    }
                }
                initialized = input.count
            }
        }
    }

    /// Maps a file voxel index to the canonical grid.
    public func canonicalIndex(ofSource p: [Int]) -> [Int] {
        (0..<3).map { c in
            let a = sourceAxis[c]
            return flipped[c] ? sourceShape[a] - 1 - p[a] : p[a]
        }
    }

    /// Maps a canonical voxel index to the file's grid.
    public func sourceIndex(ofCanonical q: [Int]) -> [Int] {
        var p = [0, 0, 0]
        for c in 0..<3 {
            let a = sourceAxis[c]
            p[a] = flipped[c] ? sourceShape[a] - 1 - q[c] : q[c]
        }
        return p
    }
}
