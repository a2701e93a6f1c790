import Foundation

/// Which world axis each voxel axis follows most closely, and in which direction (nibabel's io_orientation).
public struct AxisOrientation: Sendable, Equatable, CustomStringConvertible {
    /// worldAxis[a]: 0 = x (L-R), 1 = y (P-A), 2 = z (I-S) for voxel axis a.
    public var worldAxis: [Int]
    /// sign[a]: +1 when increasing the index of voxel axis a moves towards R / A / S in RAS+ world, -1 otherwise.
    public var sign: [Int]

    public init(worldAxis: [Int], sign: [Int]) {
        self.worldAxis = worldAxis
        self.sign = sign
    }

    /// The orientation of an affine, as nibabel.orientations.io_orientation computes it (polar decomposition, then
    /// for each voxel axis in turn the world axis of largest absolute component, removing used world axes).
    public init(affine: Affine) {
        var rs = Matrix3(affine: affine)
        for c in 0..<3 {
            var norm = 0.0
            for r in 0..<3 { norm += rs.m[r * 3 + c] * rs.m[r * 3 + c] }
            norm = norm.squareRoot()
            if norm > 0 { for r in 0..<3 { rs.m[r * 3 + c] /= norm } }
        }
        var r = rs.orthogonalPolarFactor ?? rs
        var world = [Int](repeating: -1, count: 3)
        var sign = [Int](repeating: 1, count: 3)
        for a in 0..<3 {
            let col = (0..<3).map { r.m[$0 * 3 + a] }
            guard col.contains(where: { abs($0) > 1e-12 }) else { continue }
            var best = 0
            for w in 1..<3 where abs(col[w]) > abs(col[best]) { best = w }
            world[a] = best
            sign[a] = col[best] < 0 ? -1 : 1
            for c in 0..<3 { r.m[best * 3 + c] = 0 }
        }
        // Degenerate axes (a zero column): give them the unused world axes in order, so the map stays a permutation.
        var unused = (0..<3).filter { !world.contains($0) }
        for a in 0..<3 where world[a] < 0 {
            world[a] = unused.removeFirst()
        }
        self.init(worldAxis: world, sign: sign)
    }

    /// Codes such as "RAS", "LPS", "LAS" (nibabel.aff2axcodes).
    public var codes: String {
        let labels: [(String, String)] = [("L", "R"), ("P", "A"), ("I", "S")]
        return (0..<3).map { a in sign[a] > 0 ? labels[worldAxis[a]].1 : labels[worldAxis[a]].0 }.joined()
    }

    public var description: String { codes }

    /// VolSAM's processing layout: axis 0 towards patient Left, axis 1 Posterior, axis 2 Superior.
    public static let canonicalLPS = AxisOrientation(worldAxis: [0, 1, 2], sign: [-1, -1, 1])
}
