import Foundation
import Testing
@testable import Volume

/// NRRD and MetaImage files read through ITK, with their LPS geometry converted to RAS exactly; grids that hold
/// the same voxel centres in another voxel order are aligned, other grids refused.
@Suite struct ITKFormatTests {
    /// A 4 x 3 x 2 int16 ramp with an oblique LPS direction, written as a MetaImage and as a detached NRRD.
    static let size = [4, 3, 2]
    static let spacing = [0.5, 0.75, 2.0]
    static let origin = [-10.0, 20.5, 3.25]
    /// Columns: the LPS directions of voxel axes 0, 1, 2 (a rotation about S by 30 degrees).
    static let direction = [[0.8660254037844387, -0.5, 0.0], [0.5, 0.8660254037844387, 0.0], [0.0, 0.0, 1.0]]
    static let ramp = (0..<24).map { Int16($0 * 10 - 50) }

    /// The affine nibabel would give: LPS matrix with the x and y rows negated.
    static var expectedAffine: Affine {
        var a = Affine.identity
        for r in 0..<3 {
            let sign = r < 2 ? -1.0 : 1.0
            for c in 0..<3 { a[r, c] = sign * direction[r][c] * spacing[c] }
            a[r, 3] = sign * origin[r]
        }
        return a
    }

    static func rawBytes() -> Data {
        var data = Data()
        for v in ramp { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
        return data
    }

    static func numbers(_ values: [Double]) -> String { values.map { String(format: "%.17g", $0) }.joined(separator: " ") }

    @Test func metaImageGeometryAndValues() throws {
        let folder = TemporaryFolder()
        // TransformMatrix lists the direction matrix row by row of its transpose (ITK writes column j = axis j).
        let matrix = (0..<3).flatMap { c in (0..<3).map { r in Self.direction[r][c] } }
        let header = """
        ObjectType = Image
        NDims = 3
        BinaryData = True
        BinaryDataByteOrderMSB = False
        TransformMatrix = \(Self.numbers(matrix))
        Offset = \(Self.numbers(Self.origin))
        ElementSpacing = \(Self.numbers(Self.spacing))
        DimSize = 4 3 2
        ElementType = MET_SHORT
        ElementDataFile = LOCAL

        """
        let path = folder.file("ramp.mha")
        try (Data(header.utf8) + Self.rawBytes()).write(to: URL(fileURLWithPath: path))
        let volume = try VolumeLoader.load(path: path)
        #expect(volume.source.format == "MetaImage" && volume.source.datatype == .int16)
        #expect(volume.shape == Self.size)
        #expect(volume.voxels == Self.ramp.map(Float.init))
        #expect(volume.affine.maxDifference(Self.expectedAffine) < 1e-9, "\(volume.affine.rows)")
    }

    @Test func detachedNRRDGeometryAndValues() throws {
        let folder = TemporaryFolder()
        let directions = (0..<3).map { c in "(" + (0..<3).map { r in String(format: "%.17g", Self.direction[r][c] * Self.spacing[c]) }
            .joined(separator: ",") + ")" }
        let header = """
        NRRD0004
        type: short
        dimension: 3
        space: left-posterior-superior
        sizes: 4 3 2
        space directions: \(directions.joined(separator: " "))
        kinds: domain domain domain
        endian: little
        encoding: raw
        space origin: (\(Self.origin.map { String(format: "%.17g", $0) }.joined(separator: ",")))
        data file: ramp.raw

        """
        try Data(header.utf8).write(to: URL(fileURLWithPath: folder.file("ramp.nhdr")))
        try Self.rawBytes().write(to: URL(fileURLWithPath: folder.file("ramp.raw")))
        let volume = try VolumeLoader.load(path: folder.file("ramp.nhdr"))
        #expect(volume.source.format == "NRRD")
        #expect(volume.voxels == Self.ramp.map(Float.init))
        #expect(volume.affine.maxDifference(Self.expectedAffine) < 1e-9, "\(volume.affine.rows)")
    }

    @Test func badFilesAreClearErrors() throws {
        let folder = TemporaryFolder()
        let path = folder.file("broken.nrrd")
        try Data("NRRD0004\ntype: short\ndimension: 3\nsizes: 4 3\n".utf8).write(to: URL(fileURLWithPath: path))
        let broken = #expect(throws: VolumeError.self) { try VolumeLoader.load(path: path) }
        #expect(broken?.path == path)
        let rgb = folder.file("rgb.mha")
        try Data("ObjectType = Image\nNDims = 3\nDimSize = 2 2 2\nElementNumberOfChannels = 3\nElementType = MET_UCHAR\nElementDataFile = LOCAL\n".utf8
            + [UInt8](repeating: 1, count: 24)).write(to: URL(fileURLWithPath: rgb))
        let colour = #expect(throws: VolumeError.self) { try VolumeLoader.load(path: rgb) }
        #expect(colour?.problem.contains("components per voxel") == true, "\(String(describing: colour))")
    }

    /// 3D Slicer's label maps of a real DICOM series (dcmqi's test data) lie on the series' own grid.
    @Test func slicerSegmentationLinesUpWithItsDICOMSeries() throws {
        guard let seriesPath = TestPaths.shared("dcmqi/ct-3slice"), let labelPath = TestPaths.shared("dcmqi/liver_seg.nrrd") else { return }
        let series = try VolumeLoader.load(path: seriesPath), labels = try VolumeLoader.load(path: labelPath)
        #expect(labels.shape == series.shape)
        #expect(labels.affine.maxDifference(series.affine) < 1e-3, "\(labels.affine.rows) vs \(series.affine.rows)")
        #expect(Set(labels.voxels) == [0, 1])
        #expect(try ImageGrid(series).align(labels, role: "image").reordered == false)
    }

    @Test func reorderedGridsAreAlignedAndOthersRefused() throws {
        let source = try NIfTIReader.read(path: TestPaths.geometryFixtures + "/int8_las.nii")
        let canonical = source.canonical()  // the same voxel centres, stored in LPS order
        let lps = Volume(shape: canonical.shape, affine: canonical.affine, voxels: canonical.voxels,
                         header: .from(affine: canonical.affine), source: VolumeSource(path: "lps", format: "test", datatype: .int8))
        let aligned = try ImageGrid(source).align(lps, role: "reference")
        #expect(aligned.reordered)
        #expect(aligned.volume.voxels == source.voxels && aligned.volume.shape == source.shape)
        var shifted = lps
        shifted.affine[0, 3] += 1.5
        let refused = #expect(throws: VolumeError.self) { try ImageGrid(source).align(shifted, role: "reference") }
        #expect(refused?.problem.contains("not the same grid") == true)
    }
}
