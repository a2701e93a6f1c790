import Foundation
import Testing
@testable import Volume

/// Thousands of seeded mutations and truncations of valid files: reading must either succeed or throw a
/// VolumeError naming the file, never crash or hang.
@Suite struct HeaderFuzzTests {
    static let sources = ["lps_int32_bigendian.nii", "qform_only_qfac_neg_float32.nii", "int8_las.nii",
                          "ras_int16_sform_oblique.nii.gz", "four_d_uint16.nii.gz", "nifti2_float64_oblique.nii.gz"]

    @Test func mutatedHeadersAndTruncatedFilesNeverCrash() throws {
        let folder = TemporaryFolder()
        var generator = SeededGenerator(seed: 0x5EED_F022)
        var thrown = 0, succeeded = 0
        for case_ in 0..<3000 {
            let name = Self.sources[case_ % Self.sources.count]
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: TestPaths.geometryFixtures + "/" + name)))
            let compressed = name.hasSuffix(".gz")
            switch Int.random(in: 0..<4, using: &generator) {
            case 0:  // truncate anywhere
                bytes.removeLast(Int.random(in: 1...bytes.count, using: &generator))
            case 1 where !compressed:  // overwrite header bytes with random values
                for _ in 0..<Int.random(in: 1...8, using: &generator) {
                    bytes[Int.random(in: 0..<min(bytes.count, 352), using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                }
            case 2 where !compressed:  // extreme values in header fields (dims, datatype, offsets, xforms)
                let offsets = [40, 42, 44, 46, 48, 70, 72, 108, 112, 252, 254, 256, 280, 344]
                let at = offsets.randomElement(using: &generator)!
                let extreme = [UInt8](repeating: [0x00, 0xff, 0x7f, 0x80].randomElement(using: &generator)!, count: 4)
                for i in 0..<4 where at + i < bytes.count { bytes[at + i] = extreme[i] }
            default:  // flip bits anywhere (inside gzip streams too)
                for _ in 0..<Int.random(in: 1...6, using: &generator) {
                    let at = Int.random(in: 0..<bytes.count, using: &generator)
                    bytes[at] ^= UInt8(1) << UInt8.random(in: 0...7, using: &generator)
                }
            }
            let path = folder.file("case\(case_ % 50)" + (compressed ? ".nii.gz" : ".nii"))
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            do {
                let volume = try NIfTIReader.read(path: path)
                #expect(volume.voxels.count == volume.shape.reduce(1, *))
                succeeded += 1
            } catch let error as VolumeError {
                #expect(error.path == path && !error.problem.isEmpty)
                thrown += 1
            }
        }
        #expect(thrown > 1000, "most mutations are caught (\(thrown) errors, \(succeeded) readable)")
    }

    /// A single-file NIfTI whose magic was overwritten would read as ANALYZE 7.5 and lose its orientation.
    @Test func singleFileWithoutNIfTIMagicIsRefused() throws {
        let folder = TemporaryFolder()
        for (name, magic) in [("int8_las.nii", "XXXX"), ("int8_las.nii", "ni1\u{0}"), ("ras_int16_sform_oblique.nii.gz", "\u{0}\u{0}\u{0}\u{0}")] {
            let source = try NIfTIReader.read(path: TestPaths.geometryFixtures + "/" + name)
            let plain = folder.file("plain.nii")
            try NIfTIWriter.write(voxels: source.voxels, shape: source.shape, header: source.header, datatype: .int16, to: plain)
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: plain)))
            bytes.replaceSubrange(344..<348, with: Array(magic.utf8))
            let path = folder.file("overwritten.nii")
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let error = #expect(throws: VolumeError.self) { try NIfTIReader.read(path: path) }
            #expect(error?.path == path && error?.problem.contains("not 'n+1'") == true, "\(String(describing: error))")
        }
    }
}
