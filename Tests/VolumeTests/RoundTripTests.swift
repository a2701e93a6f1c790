import Foundation
import Testing
@testable import Volume

/// Writing then reading keeps voxels, datatype and geometry exactly.
@Suite struct RoundTripTests {
    static let obliqueHeader: SpatialHeader = {
        var a = Affine.identity
        let (c, s) = (cos(0.3), sin(0.3))
        a.m = [0.8 * c, -0.9 * s, 0, -12.5, 0.8 * s, 0.9 * c, 0, 33.25, 0, 0, -2.5, 71, 0, 0, 0, 1]
        return SpatialHeader.from(affine: a)
    }()

    static func values(for type: VoxelDataType, count: Int) -> [Float] {
        var generator = SeededGenerator(seed: UInt64(type.rawValue))
        let range: ClosedRange<Float> = switch type {
        case .uint8: 0...255
        case .int8: -128...127
        case .int16: -32768...32767
        case .uint16: 0...65535
        case .int32, .int64: -8_000_000...8_000_000
        case .uint32, .uint64: 0...16_000_000
        case .float32, .float64: -1e4...1e4
        }
        return (0..<count).map { _ in
            let v = Float.random(in: range, using: &generator)
            return type.isInteger ? v.rounded() : v
        }
    }

    @Test(arguments: VoxelDataType.allCases, [".nii", ".nii.gz"])
    func everyDatatypeRoundTrips(type: VoxelDataType, ext: String) throws {
        let folder = TemporaryFolder()
        let shape = [7, 5, 3]
        let voxels = Self.values(for: type, count: 105)
        let path = folder.file("volume" + ext)
        try NIfTIWriter.write(voxels: voxels, shape: shape, header: Self.obliqueHeader, datatype: type, to: path)
        let read = try NIfTIReader.read(path: path)
        #expect(read.voxels == voxels)
        #expect(read.source.datatype == type)
        #expect(read.shape == shape)
        #expect(read.affine.maxDifference(Self.obliqueHeader.sform) < 1e-4)
        #expect(read.header.qformAffine.maxDifference(Self.obliqueHeader.sform) < 1e-4)
        #expect(folder.contents == ["volume" + ext], "no temporary file left behind")
    }

    @Test func copiedHeaderOverlaysTheInputExactly() throws {
        let folder = TemporaryFolder()
        for name in ["ras_int16_sform_oblique.nii.gz", "qform_only_qfac_neg_float32.nii", "no_xform_uint8.nii.gz",
                     "psr_sagittal_uint16.nii.gz", "nifti2_float64_oblique.nii.gz", "lps_int32_bigendian.nii"] {
            let input = try NIfTIReader.read(path: TestPaths.geometryFixtures + "/" + name)
            let mask = input.voxels.map { $0 > 0 ? Float(1) : 0 }
            let out = folder.file(name.replacingOccurrences(of: ".nii", with: "_mask.nii"))
            try NIfTIWriter.write(voxels: mask, shape: input.shape, header: input.header, datatype: .uint8, to: out,
                                  isLabelMap: true)
            let back = try NIfTIReader.read(path: out)
            #expect(back.affine.maxDifference(input.affine) < 1e-6, "\(name)")
            #expect(back.header.qformCode == input.header.qformCode)
            #expect(back.header.sformCode == input.header.sformCode)
            #expect(back.header.qformAffine.maxDifference(input.header.qformAffine) < 1e-5)
            #expect(back.header.niftiVersion == input.header.niftiVersion)
            #expect(back.voxels == mask)
        }
    }

    @Test func labelDatatypeFollowsTheLargestLabel() {
        #expect(NIfTIWriter.labelDatatype(maxLabel: 255) == .uint8)
        #expect(NIfTIWriter.labelDatatype(maxLabel: 256) == .uint16)
        #expect(NIfTIWriter.labelDatatype(maxLabel: 70000) == .int32)
        #expect(NIfTIWriter.exactDatatype(for: [0, 1, 255]) == .uint8)
        #expect(NIfTIWriter.exactDatatype(for: [-1024, 3071]) == .int16)
        #expect(NIfTIWriter.exactDatatype(for: [0, 40000]) == .uint16)
        #expect(NIfTIWriter.exactDatatype(for: [0.5]) == .float32)
        #expect(NIfTIWriter.datatype(for: [0, 1000], source: .uint16) == .uint16)
        #expect(NIfTIWriter.datatype(for: [0, 1000], source: .float64) == .float64)
        #expect(NIfTIWriter.datatype(for: [-5, 1000], source: .uint16) == .int16)
    }

    @Test func valuesThatDoNotFitAreRefused() throws {
        let folder = TemporaryFolder()
        #expect(throws: VolumeError.self) {
            try NIfTIWriter.write(voxels: [300, 0], shape: [2, 1, 1], header: Self.obliqueHeader, datatype: .uint8,
                                  to: folder.file("bad.nii.gz"))
        }
        #expect(folder.contents.isEmpty)
    }
}
