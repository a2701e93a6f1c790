import Foundation
import Testing

/// Runs the built `volsam` binary as a user would.
@Suite struct CLITests {
    init() {}
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let binary: String = {
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [runner, runner.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent("volsam").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return repository.appendingPathComponent(".build/release/volsam").path
    }()

    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    func run(_ arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = arguments
        process.currentDirectoryURL = Self.repository
        // as a user starts it: volsam chooses OpenBLAS's core itself (the test runner's may have been set by make)
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_CORETYPE"] = nil
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }

    @Test func infoJSONHasTheDocumentedKeys() throws {
        let result = try run(["info", "sample-data/ct_abdomen.nii.gz", "--json"])
        #expect(result.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        for key in ["shape", "spacing", "affine", "orientation", "datatype", "min", "max", "modality"] {
            #expect(json[key] != nil, "missing \(key)")
        }
        #expect(json["shape"] as? [Int] == [160, 128, 28])
        #expect(json["orientation"] as? String == "LAS")
        #expect((json["affine"] as? [[Double]])?.count == 4)
        #expect(json["datatype"] as? String == "int16")
        #expect(json["modality"] as? String == "ct")
    }

    @Test func badInputExitsNonZeroNamingTheFile() throws {
        let result = try run(["info", "sample-data/does-not-exist.nii.gz"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("sample-data/does-not-exist.nii.gz"))
        #expect(result.stderr.split(separator: "\n").count == 1, "one clear line: \(result.stderr)")
    }

    @Test func convertKeepsGeometryAndLeavesNothingOnFailure() throws {
        let folder = NSTemporaryDirectory() + "volsam-cli-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let out = folder + "/brain.nii.gz"
        let converted = try run(["convert", "sample-data/mr_brain_flair.nii.gz", out])
        #expect(converted.status == 0, "\(converted.stderr)")
        let before = try run(["info", "sample-data/mr_brain_flair.nii.gz", "--json"]).stdout
        let after = try run(["info", out, "--json"]).stdout
        func geometry(_ text: String) throws -> [String] {
            let json = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
            return ["shape", "affine", "orientation", "datatype", "min", "max"].map { "\(json[$0]!)" }
        }
        #expect(try geometry(before) == geometry(after))
        let failed = try run(["convert", "sample-data/mr_brain_flair.nii.gz", folder + "/missing/out.nii.gz"])
        #expect(failed.status != 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["brain.nii.gz"])
    }

    @Test func previewWritesAPNG() throws {
        let folder = NSTemporaryDirectory() + "volsam-cli-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let result = try run(["preview", "sample-data/ct_abdomen.nii.gz", "--labels", "sample-data/ct_abdomen_labels.nii.gz",
                              "-o", folder + "/p.png", "--text"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("clip to [-125, 275]"))
        let png = try Data(contentsOf: URL(fileURLWithPath: folder + "/p.png"))
        #expect(png.prefix(4) == Data([0x89, 0x50, 0x4E, 0x47]))
        // axial 160 x 128 (2.2 mm pixels), coronal 160 x 64 and sagittal 128 x 64 (28 slices of 5 mm), 4 px apart,
        // then the legend: 456 pixels wide, so 2x font: a line of 24 pixels per label and 8 below (200)
        #expect([UInt8](png[16..<24]) == [0, 0, 1, 200, 0, 0, 1, 72])
        #expect(result.stdout.contains("Labels: 1 spleen 163,495 mm3; 2 kidney_right 174,071 mm3"), "names from the JSON beside the labels")
        let bare = try run(["preview", "sample-data/ct_abdomen.nii.gz", "--labels", "sample-data/ct_abdomen_labels.nii.gz",
                            "-o", folder + "/bare.png", "--no-legend"])
        #expect(bare.status == 0, "\(bare.stderr)")
        #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/bare.png"))[16..<24]) == [0, 0, 1, 200, 0, 0, 0, 128])
        #expect(result.stdout.contains("axial 160x128, coronal 160x64, sagittal 128x64"))
        let montage = try run(["preview", "sample-data/ct_abdomen.nii.gz", "--labels", "sample-data/ct_abdomen_labels.nii.gz",
                               "-o", folder + "/m.png", "--montage", "3", "--outline"])
        #expect(montage.status == 0, "\(montage.stderr)")
        #expect(montage.stdout.contains("label 6: axial slices 7, 17, 27") && montage.stdout.contains("montage, 8 rows"))
        // 3 panels of 160 x 128 per row, 8 rows, 4 px apart (1052), and the legend (200)
        let grid = try Data(contentsOf: URL(fileURLWithPath: folder + "/m.png"))
        #expect([UInt8](grid[16..<24]) == [0, 0, 1, 232, 0, 0, 4, 228])
        let compared = try run(["preview", "sample-data/ct_abdomen.nii.gz", "--labels", "sample-data/ct_abdomen_labels.nii.gz",
                                "--reference", "sample-data/ct_abdomen_labels.nii.gz", "-o", folder + "/c.png"])
        #expect(compared.status == 0 && FileManager.default.fileExists(atPath: folder + "/c.png"), "\(compared.stderr)")
        let mismatch = try run(["preview", "sample-data/ct_abdomen.nii.gz", "--labels", "sample-data/mr_brain_labels.nii.gz", "--text"])
        #expect(mismatch.status != 0 && mismatch.stderr.contains("not the same grid"))
    }
}
