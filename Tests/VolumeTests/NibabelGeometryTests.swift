import Foundation
import Testing
@testable import Volume

/// Reading NIfTI files must give exactly what nibabel gives: affine, zooms, orientation codes, datatype, voxels, and
/// the canonical LPS layout nibabel's as_reoriented computes.
@Suite struct NibabelGeometryTests {
    static let names = ((try? NibabelExpectation.all())?.keys.sorted()) ?? []

    @Test(arguments: names)
    func readsLikeNibabel(name: String) throws {
        let expected = try #require(try NibabelExpectation.all()[name])
        let path = TestPaths.geometryFixtures + "/" + name
        for index in 0..<expected.volumes {
            let volume = try NIfTIReader.read(path: path, volumeIndex: index)
            #expect(volume.shape == expected.shape)
            #expect(volume.source.volumeCount == expected.volumes)
            #expect(volume.source.datatype.name == expected.datatype)
            #expect(maxAbsDifference(volume.affine.rows, expected.affine) < 1e-5, "affine \(volume.affine)")
            let spacing = [volume.spacing.x, volume.spacing.y, volume.spacing.z]
            #expect(zip(spacing, expected.zooms).allSatisfy { abs($0 - $1) < 1e-6 })
            #expect(volume.orientation.codes == expected.axcodes)
            #expect(volume.header.qformCode == Int32(expected.qform_code))
            #expect(volume.header.sformCode == Int32(expected.sform_code))
            #expect(volume.source.nonFiniteCount == expected.non_finite)
            let values = expected.data[index]
            #expect(volume.voxels.count == values.count)
            for (got, want) in zip(volume.voxels, values) {
                #expect(abs(Double(got) - want) <= 1e-6 * max(1, abs(want)), "\(name): \(got) vs \(want)")
            }
        }
    }

    @Test(arguments: names)
    func canonicalLayoutMatchesNibabelReorientation(name: String) throws {
        let expected = try #require(try NibabelExpectation.all()[name])
        let volume = try NIfTIReader.read(path: TestPaths.geometryFixtures + "/" + name)
        let canonical = volume.canonical()
        #expect(canonical.shape == expected.lps_shape)
        #expect(maxAbsDifference(canonical.affine.rows, expected.lps_affine) < 1e-5)
        #expect(AxisOrientation(affine: canonical.affine).codes == "LPS")
        for (got, want) in zip(canonical.voxels, expected.lps_data) {
            #expect(abs(Double(got) - want) <= 1e-6 * max(1, abs(want)))
        }
        #expect(canonical.toSourceGrid(canonical.voxels) == volume.voxels)
    }

    @Test func volumeIndexOutOfRangeIsAnError() throws {
        let path = TestPaths.geometryFixtures + "/four_d_uint16.nii.gz"
        #expect(throws: VolumeError.self) { try NIfTIReader.read(path: path, volumeIndex: 3) }
        #expect(throws: VolumeError.self) { try NIfTIReader.read(path: path, volumeIndex: -1) }
    }
}
