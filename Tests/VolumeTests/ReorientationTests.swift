import Foundation
import Testing
@testable import Volume

/// The canonical LPS layout is an exact permutation/flip with an exact inverse and consistent world coordinates.
@Suite struct ReorientationTests {
    /// Every axis permutation and flip combination (48 cases).
    static let layouts: [(perm: [Int], flips: [Double])] = {
        let perms = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]]
        var out: [([Int], [Double])] = []
        for p in perms { for f in 0..<8 { out.append((p, (0..<3).map { f >> $0 & 1 == 1 ? -1.0 : 1.0 })) } }
        return out
    }()

    @Test(arguments: 0..<48)
    func roundTripAndWorldConsistency(layoutIndex: Int) {
        let (perm, flips) = Self.layouts[layoutIndex]
        let shape = [4, 5, 6]
        var affine = Affine.identity
        let spacing = [0.7, 1.1, 2.5]
        for a in 0..<3 {
            for r in 0..<3 { affine[r, a] = 0 }
            affine[perm[a], a] = flips[a] * spacing[a]
            affine[a, 3] = [10.0, -20.0, 30.0][a]
        }
        // A small rotation keeps it oblique but with the same closest axes.
        let tilt = Affine(rows: [[cos(0.1), -sin(0.1), 0, 0], [sin(0.1), cos(0.1), 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]])
        affine = tilt * affine
        let r = Reorientation(shape: shape, affine: affine)
        let voxels = (0..<120).map { Float($0) }
        let canonical = r.toCanonical(voxels)
        #expect(r.toSource(canonical) == voxels)
        let canonicalAffine = r.canonicalAffine(sourceAffine: affine)
        #expect(AxisOrientation(affine: canonicalAffine).codes == "LPS")
        let cs = r.canonicalShape
        for q in [[0, 0, 0], [cs[0] - 1, 0, 2], [1, cs[1] - 1, cs[2] - 1]] {
            let p = r.sourceIndex(ofCanonical: q)
            #expect(r.canonicalIndex(ofSource: p) == q)
            let worldCanonical = canonicalAffine.apply(SIMD3(Double(q[0]), Double(q[1]), Double(q[2])))
            let worldSource = affine.apply(SIMD3(Double(p[0]), Double(p[1]), Double(p[2])))
            #expect(((worldCanonical - worldSource) * (worldCanonical - worldSource)).sum() < 1e-18)
            #expect(canonical[q[0] + cs[0] * (q[1] + cs[1] * q[2])] == voxels[p[0] + 4 * (p[1] + 5 * p[2])])
        }
    }

    @Test func orientationCodesMatchNibabelConventions() {
        #expect(AxisOrientation(affine: .identity).codes == "RAS")
        let lps = Affine(rows: [[-1, 0, 0, 0], [0, -1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]])
        #expect(AxisOrientation(affine: lps).codes == "LPS")
        #expect(Reorientation(shape: [2, 2, 2], affine: lps).isIdentity)
        let psr = Affine(rows: [[0, 0, 1, 0], [-1, 0, 0, 0], [0, -1, 0, 0], [0, 0, 0, 1]])
        #expect(AxisOrientation(affine: psr).codes == "PIR")
    }
}
