import Foundation

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
        let (start, strides) = walk
        let shape = canonicalShape
        return source.withUnsafeBufferPointer { src in
            [T](unsafeUninitializedCapacity: source.count) { out, initialized in
                var o = 0
                for k in 0..<shape[2] {
                    let zk = start + k * strides[2]
                    for j in 0..<shape[1] {
                        var p = zk + j * strides[1]
                        for _ in 0..<shape[0] {
                            (out.baseAddress! + o).initialize(to: src[p])
                            o += 1
                            p += strides[0]
                        }
                    }
                }
                initialized = source.count
            }
        }
    }

    /// Reorders voxels from the canonical grid back into the file's own grid (the exact inverse of toCanonical).
    public func toSource<T>(_ canonical: [T]) -> [T] {
        precondition(canonical.count == sourceShape.reduce(1, *), "voxel count does not match the reorientation's shape")
        if isIdentity { return canonical }
        let (start, strides) = walk
        let shape = canonicalShape
        return canonical.withUnsafeBufferPointer { src in
            [T](unsafeUninitializedCapacity: canonical.count) { out, initialized in
                var o = 0
                for k in 0..<shape[2] {
                    let zk = start + k * strides[2]
                    for j in 0..<shape[1] {
                        var p = zk + j * strides[1]
                        for _ in 0..<shape[0] {
                            (out.baseAddress! + p).initialize(to: src[o])
                            o += 1
                            p += strides[0]
                        }
                    }
                }
                initialized = canonical.count
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
