import Foundation

/// A 4x4 voxel-to-world matrix (row-major, Double), world in NIfTI's RAS+ millimetres unless stated otherwise.
public struct Affine: Sendable, Equatable, CustomStringConvertible {
    /// Row-major elements: m[row * 4 + column].
    public var m: [Double]

    public init(rows: [[Double]]) {
        precondition(rows.count == 4 && rows.allSatisfy { $0.count == 4 }, "an affine has 4 rows of 4")
        m = rows.flatMap { $0 }
    }

    public init(elements: [Double]) {
        precondition(elements.count == 16, "an affine has 16 elements")
        m = elements
    }

    public static let identity = Affine(elements: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1])

    public subscript(row: Int, column: Int) -> Double {
        get { m[row * 4 + column] }
        set { m[row * 4 + column] = newValue }
    }

    public var rows: [[Double]] { (0..<4).map { r in (0..<4).map { c in self[r, c] == 0 ? 0 : self[r, c] } } }

    /// The 3x3 linear part's column j (the world step of voxel axis j).
    public func column(_ j: Int) -> SIMD3<Double> { SIMD3(self[0, j], self[1, j], self[2, j]) }

    public var translation: SIMD3<Double> { column(3) }

    /// Length of each voxel axis in world units (nibabel.affines.voxel_sizes).
    public var voxelSizes: SIMD3<Double> {
        SIMD3((column(0) * column(0)).sum().squareRoot(), (column(1) * column(1)).sum().squareRoot(),
              (column(2) * column(2)).sum().squareRoot())
    }

    public static func * (a: Affine, b: Affine) -> Affine {
        var out = [Double](repeating: 0, count: 16)
        for r in 0..<4 {
            for c in 0..<4 {
                var s = 0.0
                for k in 0..<4 { s += a.m[r * 4 + k] * b.m[k * 4 + c] }
                out[r * 4 + c] = s
            }
        }
        return Affine(elements: out)
    }

    /// Maps a voxel index (continuous) to world coordinates.
    public func apply(_ p: SIMD3<Double>) -> SIMD3<Double> {
        SIMD3(self[0, 0] * p.x + self[0, 1] * p.y + self[0, 2] * p.z + self[0, 3],
              self[1, 0] * p.x + self[1, 1] * p.y + self[1, 2] * p.z + self[1, 3],
              self[2, 0] * p.x + self[2, 1] * p.y + self[2, 2] * p.z + self[2, 3])
    }

    /// Inverse of an affine whose 3x3 part is invertible; nil when it is singular.
    public var inverse: Affine? {
        let a = Matrix3(affine: self)
        guard let inv = a.inverse else { return nil }
        let t = -(inv.apply(translation))
        var out = Affine.identity
        for r in 0..<3 {
            for c in 0..<3 { out[r, c] = inv.m[r * 3 + c] }
            out[r, 3] = t[r]
        }
        return out
    }

    /// Largest absolute element difference.
    public func maxDifference(_ other: Affine) -> Double {
        zip(m, other.m).map { abs($0 - $1) }.max() ?? 0
    }

    /// The NIfTI convention in DICOM's LPS world (and back): flips the signs of the x and y rows.
    public var flippingXY: Affine {
        var out = self
        for c in 0..<4 {
            out[0, c] = -out[0, c]
            out[1, c] = -out[1, c]
        }
        return out
    }

    public var description: String {
        rows.map { "[" + $0.map { String(format: "%.6g", $0) }.joined(separator: ", ") + "]" }.joined(separator: "\n")
    }
}

/// A 3x3 row-major matrix used for orientation math.
struct Matrix3 {
    var m: [Double]

    init(_ m: [Double]) { self.m = m }

    init(affine: Affine) {
        m = (0..<3).flatMap { r in (0..<3).map { c in affine[r, c] } }
    }

    var determinant: Double {
        m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) + m[2] * (m[3] * m[7] - m[4] * m[6])
    }

    var transpose: Matrix3 { Matrix3([m[0], m[3], m[6], m[1], m[4], m[7], m[2], m[5], m[8]]) }

    var inverse: Matrix3? {
        let det = determinant
        let scale = m.map { abs($0) }.max() ?? 0
        guard det != 0, abs(det) > 1e-14 * scale * scale * scale else { return nil }
        let c: [Double] = [
            m[4] * m[8] - m[5] * m[7], m[2] * m[7] - m[1] * m[8], m[1] * m[5] - m[2] * m[4],
            m[5] * m[6] - m[3] * m[8], m[0] * m[8] - m[2] * m[6], m[2] * m[3] - m[0] * m[5],
            m[3] * m[7] - m[4] * m[6], m[1] * m[6] - m[0] * m[7], m[0] * m[4] - m[1] * m[3],
        ]
        return Matrix3(c.map { $0 / det })
    }

    func apply(_ v: SIMD3<Double>) -> SIMD3<Double> {
        SIMD3(m[0] * v.x + m[1] * v.y + m[2] * v.z, m[3] * v.x + m[4] * v.y + m[5] * v.z,
              m[6] * v.x + m[7] * v.y + m[8] * v.z)
    }

    /// The orthogonal factor of the polar decomposition (Newton iteration R <- (R + R^-T) / 2).
    var orthogonalPolarFactor: Matrix3? {
        var r = self
        for _ in 0..<100 {
            guard let inv = r.inverse else { return nil }
            let next = Matrix3(zip(r.m, inv.transpose.m).map { ($0 + $1) / 2 })
            let change = zip(next.m, r.m).map { abs($0 - $1) }.max() ?? 0
            r = next
            if change < 1e-15 { break }
        }
        return r
    }
}
