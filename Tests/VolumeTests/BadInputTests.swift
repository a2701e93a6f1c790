import Foundation
import Testing
@testable import Volume

/// Bad inputs and outputs fail with a clear error naming the file, and leave nothing behind.
@Suite struct BadInputTests {
    static let valid = TestPaths.geometryFixtures + "/lps_int32_bigendian.nii"

    func problem(_ path: String) -> String? {
        do {
            _ = try VolumeLoader.load(path: path)
            return nil
        } catch let error as VolumeError {
            #expect(error.path == path)
            return error.problem
        } catch {
            Issue.record("unexpected error type \(error)")
            return nil
        }
    }

    /// A copy of the valid uncompressed fixture with bytes replaced.
    func patched(_ folder: TemporaryFolder, _ name: String, _ edit: (inout [UInt8]) -> Void) throws -> String {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.valid)))
        edit(&bytes)
        let path = folder.file(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Writes a big-endian Int16 (the valid fixture is big-endian).
    func putInt16(_ bytes: inout [UInt8], _ offset: Int, _ value: Int16) {
        let v = UInt16(bitPattern: value)
        bytes[offset] = UInt8(v >> 8)
        bytes[offset + 1] = UInt8(v & 0xff)
    }

    @Test func missingFile() {
        #expect(problem("/nonexistent/scan.nii.gz")?.contains("no such file") == true)
    }

    @Test func notAVolume() throws {
        let folder = TemporaryFolder()
        let text = folder.file("notes.nii")
        try Data(String(repeating: "not an image ", count: 40).utf8).write(to: URL(fileURLWithPath: text))
        #expect(problem(text)?.contains("not a NIfTI file") == true)
        let other = folder.file("notes.txt")
        try Data("hello".utf8).write(to: URL(fileURLWithPath: other))
        #expect(problem(other)?.contains("not a volume") == true)
        let empty = folder.file("empty.nii.gz")
        try Data().write(to: URL(fileURLWithPath: empty))
        #expect(problem(empty)?.contains("empty") == true)
    }

    @Test func truncatedGzip() throws {
        let folder = TemporaryFolder()
        let source = try Data(contentsOf: URL(fileURLWithPath: TestPaths.geometryFixtures + "/ras_int16_sform_oblique.nii.gz"))
        for cut in [20, source.count / 2, source.count - 9] {
            let path = folder.file("cut\(cut).nii.gz")
            try source.prefix(cut).write(to: URL(fileURLWithPath: path))
            #expect(problem(path) != nil, "truncated at \(cut) of \(source.count) bytes")
        }
    }

    @Test func truncatedUncompressedData() throws {
        let folder = TemporaryFolder()
        let path = try patched(folder, "short.nii") { $0.removeLast(40) }
        #expect(problem(path)?.contains("truncated") == true)
    }

    @Test func dimsInconsistentWithDataSize() throws {
        let folder = TemporaryFolder()
        let path = try patched(folder, "dims.nii") { self.putInt16(&$0, 42, 50) }  // dim[1] 5 -> 50
        #expect(problem(path)?.contains("truncated or its header dims are wrong") == true)
    }

    @Test func zeroNegativeAndAbsurdDims() throws {
        let folder = TemporaryFolder()
        let zero = try patched(folder, "zero.nii") { self.putInt16(&$0, 44, 0) }
        #expect(problem(zero)?.contains("dimension 2 is 0") == true)
        let negative = try patched(folder, "negative.nii") { self.putInt16(&$0, 46, -3) }
        #expect(problem(negative)?.contains("dimension 3 is -3") == true)
        let absurd = try patched(folder, "absurd.nii") { bytes in
            self.putInt16(&bytes, 40, 4)
            for d in 1...4 { self.putInt16(&bytes, 40 + 2 * d, 32000) }
        }
        #expect(problem(absurd)?.contains("absurd") == true)
        let ndim = try patched(folder, "ndim.nii") { self.putInt16(&$0, 40, 9) }
        #expect(problem(ndim) != nil)
    }

    @Test func unsupportedDatatypes() throws {
        let folder = TemporaryFolder()
        let complex = try patched(folder, "complex.nii") { self.putInt16(&$0, 70, 32) }
        #expect(problem(complex)?.contains("complex") == true)
        let rgb = try patched(folder, "rgb.nii") { self.putInt16(&$0, 70, 128) }
        #expect(problem(rgb)?.contains("RGB") == true)
    }

    @Test func nanVoxelsAreReportedAndTreatedAsTheMinimum() throws {
        let volume = try VolumeLoader.load(path: TestPaths.geometryFixtures + "/float32_with_nan.nii.gz")
        #expect(volume.source.nonFiniteCount == 2)
        #expect(volume.voxels.allSatisfy { $0.isFinite })
        let finiteMinimum = volume.voxels.min()!
        #expect(volume.voxels[1 + 4 * 2] == finiteMinimum)
    }

    @Test func unwritableOutputFolderLeavesNothing() throws {
        let folder = TemporaryFolder()
        let header = SpatialHeader.from(affine: .identity)
        #expect(throws: VolumeError.self) {
            try NIfTIWriter.write(voxels: [1], shape: [1, 1, 1], header: header, datatype: .uint8,
                                  to: folder.file("missing/out.nii.gz"))
        }
        let locked = folder.file("locked")
        try FileManager.default.createDirectory(atPath: locked, withIntermediateDirectories: false)
        chmod(locked, 0o500)
        defer { chmod(locked, 0o700) }
        if getuid() != 0 {  // root may write anywhere
            #expect(throws: VolumeError.self) {
                try NIfTIWriter.write(voxels: [1], shape: [1, 1, 1], header: header, datatype: .uint8,
                                      to: locked + "/out.nii.gz")
            }
            #expect((try? FileManager.default.contentsOfDirectory(atPath: locked))?.isEmpty == true)
        }
        #expect(throws: VolumeError.self) {
            try NIfTIWriter.write(voxels: [1], shape: [1, 1, 1], header: header, datatype: .uint8,
                                  to: folder.file("out.png"))
        }
    }
}
