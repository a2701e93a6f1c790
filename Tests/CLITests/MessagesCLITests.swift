import Foundation
import Testing
import Volume

/// Messages a user meets: each names the file or option and the reason; notes for what is ignored or assumed.
@Suite(.serialized) struct MessagesCLITests {
    let cli = CLITests()

    @Test func badValuesAndFilesSayWhy() throws {
        let folder = SegmentCLITests.temporary("messages")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try SegmentCLITests.writeCase(folder: folder, image: "ct.nii.gz", label: "gt.nii.gz")
        try Data(#"{"prompts": [{"label": 6, "box": [1, 2, 3, 4, 5, 6]}]}"#.utf8).write(to: URL(fileURLWithPath: folder + "/p.json"))
        let ct = folder + "/ct.nii.gz"
        let cases: [([String], String)] = [
            (["batch", folder + "/nope", "-o", folder + "/out"], "nope: no such folder"),
            (["segment", ct, "-o", folder + "/s.nii.gz", "--prompts", folder + "/p.json"], "unknown key \"box\""),
            (["segment", ct, "-o", folder + "/s.nii.gz", "--prompts", folder + "/missing.json"], "cannot read the prompts file ("),
            (["preview", ct, "-o", folder + "/x.jpg"], "-o writes PNG"),
            (["preview", ct, "--views", "axial,top", "--text"], "give distinct views from axial, coronal, sagittal"),
            (["preview", ct, "--montage", "0", "--text"], "--montage must be 1 to 32 slices, not 0"),
            (["preview", ct, "--reference", ct, "--text"], "--reference compares with --labels: give both"),
            (["preview", ct, "--slice", "-1", "--text"], "has 4 axial slices (0 to 3); there is no slice -1"),
            (["segment", ct, "-o", folder + "/s.nii.gz", "--box", "6:1,1,1,2,2,2", "--threads", "-2"], "--threads must be at least 1"),
            (["segment", ct, "-o", folder + "/s.nii.gz", "--box", "6:1,1,1,2,2,2", "--seed", "-1"], "'-1' is invalid for '--seed"),
            (["info", ct, "--volume", "-1"], "--volume must be 0 or more"),
            (["eval", ct, folder + "/gt.nii.gz", "--labels", "0,x"], "label ids are positive integers"),
        ]
        for (arguments, message) in cases {
            let r = try cli.run(arguments)
            #expect(r.status != 0, "\(arguments)")
            #expect(r.stderr.contains(message), "\(arguments): \(r.stderr)")
            #expect(r.stderr.contains("Usage: volsam \(arguments[0])") || !r.stderr.contains("Usage:"), "the subcommand's usage")
        }
        let malformed = folder + "/msd"
        try FileManager.default.createDirectory(atPath: malformed + "/imagesTr", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: ct, toPath: malformed + "/imagesTr/a_0000.nii.gz")
        try Data("{\"labels\": ".utf8).write(to: URL(fileURLWithPath: malformed + "/dataset.json"))
        let r = try cli.run(["batch", malformed, "-o", folder + "/out"])
        #expect(r.status != 0 && r.stderr.contains("cannot read dataset.json ("), "\(r.stderr)")
    }

    /// Weights given with --weights: a readable checkpoint that is not the published one is named as such.
    @Test func otherWeightsAreNamed() throws {
        let r = try cli.run(["weights", "--weights", "Tests/TensorTests/Fixtures/mixed.pth"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("is not the published LiteMedSAM checkpoint") && r.stdout.contains("CRC-32 of every entry verified"))
    }

    /// An absent label is reported as such, left out of the means by default, and the table says so.
    @Test func labelsInNeitherMapAreNamedAndLeftOutOfTheMeans() throws {
        let labels = "sample-data/ct_abdomen_labels.nii.gz"
        let r = try cli.run(["eval", labels, labels, "--labels", "6,5", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("label 5 is in neither map"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let rows = try #require(json["labels"] as? [[String: Any]])
        #expect(rows[0]["dice"] as? Double == 1 && rows[1]["dice"] is NSNull, "\(rows)")
        let perfect = try cli.run(["eval", labels, labels, "--labels", "6,5", "--both-empty", "perfect", "--json"])
        let rows2 = try #require((try JSONSerialization.jsonObject(with: Data(perfect.stdout.utf8)) as? [String: Any])?["labels"] as? [[String: Any]])
        #expect(rows2[1]["dice"] as? Double == 1)
    }

    /// A label map holding the reference's voxel centres in another voxel order is reordered and scored; a file
    /// without the n+1 magic and NRRD files are handled by `info`.
    @Test func voxelOrderAndFormats() throws {
        let folder = SegmentCLITests.temporary("orders")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let source = try VolumeLoader.load(path: "sample-data/ct_abdomen_labels.nii.gz")  // LAS, oblique
        let canonical = source.canonical()
        try NIfTIWriter.write(voxels: canonical.voxels, shape: canonical.shape, header: .from(affine: canonical.affine), datatype: .uint8,
                              to: folder + "/lps.nii.gz", isLabelMap: true)
        let r = try cli.run(["eval", folder + "/lps.nii.gz", "sample-data/ct_abdomen_labels.nii.gz", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("reordered"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(json["reordered"] as? Bool == true)
        #expect((json["labels"] as? [[String: Any]])?.allSatisfy { $0["dice"] as? Double == 1 } == true)
        try NIfTIWriter.write(voxels: source.voxels, shape: source.shape, header: source.header, datatype: .uint8, to: folder + "/plain.nii")
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/plain.nii")))
        bytes.replaceSubrange(344..<348, with: Array("XXXX".utf8))
        try Data(bytes).write(to: URL(fileURLWithPath: folder + "/analyze.nii"))
        let refused = try cli.run(["info", folder + "/analyze.nii"])
        #expect(refused.status != 0 && refused.stderr.contains("not 'n+1'"), "\(refused.stderr)")
        let nrrd = CLITests.repository.deletingLastPathComponent().appendingPathComponent("shared/data/dcmqi/liver_seg.nrrd").path
        guard FileManager.default.fileExists(atPath: nrrd) else { return print("skipped: \(nrrd) is not here") }
        let info = try cli.run(["info", nrrd, "--json"])
        #expect(info.status == 0 && info.stdout.contains("\"format\" : \"NRRD\""), "\(info.stdout)")
    }

    /// A folder of several DICOM series: `info` lists them (text and JSON) with exit 0, files without a
    /// SeriesInstanceUID under `none`; other commands say how to choose.
    @Test func infoListsTheSeriesOfAFolder() throws {
        let shared = CLITests.repository.deletingLastPathComponent().appendingPathComponent("shared/data").path
        let (first, second) = (shared + "/dcmqi/ct-3slice", shared + "/totalsegmentator/example_ct_dicom")
        guard FileManager.default.fileExists(atPath: first), FileManager.default.fileExists(atPath: second) else {
            return print("skipped: the shared DICOM series are not here")
        }
        let folder = SegmentCLITests.temporary("series")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for source in [first, second] {
            for name in try FileManager.default.contentsOfDirectory(atPath: source) {
                try FileManager.default.copyItem(atPath: source + "/" + name, toPath: folder + "/" + URL(fileURLWithPath: source).lastPathComponent + name)
            }
        }
        let text = try cli.run(["info", folder])
        #expect(text.status == 0 && text.stdout.contains("2 series") && text.stdout.contains("files without a SeriesInstanceUID"), "\(text.stdout)")
        let json = try cli.run(["info", folder, "--json"])
        let series = (try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])?["series"] as? [[String: Any]]
        #expect(series?.count == 2 && series?.contains { $0["uid"] as? String == "none" && $0["has_uid"] as? Bool == false } == true)
        let chosen = try cli.run(["info", folder, "--series", "none", "--json"])
        #expect(chosen.status == 0 && chosen.stdout.contains("\"shape\""), "\(chosen.stderr)")
        let convert = try cli.run(["convert", folder, folder + "/../x.nii.gz"])
        #expect(convert.status != 0 && convert.stderr.contains("choose one with --series UID"))
    }

    /// Notes for what a batch ignores or assumes: an MSD folder without dataset.json, a label without its image.
    @Test func batchNotesWhatItIgnores() throws {
        let root = SegmentCLITests.temporary("notes"), out = SegmentCLITests.temporary("notes-out")
        defer {
            try? FileManager.default.removeItem(atPath: root)
            try? FileManager.default.removeItem(atPath: out)
        }
        try SegmentCLITests.writeCase(folder: root + "/imagesTr", image: "a_0000.nii.gz", label: "../labelsTr/a.nii.gz", slices: 3)
        try FileManager.default.copyItem(atPath: root + "/labelsTr/a.nii.gz", toPath: root + "/labelsTr/b.nii.gz")
        let r = try cli.run(["batch", root, "-o", out, "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("has no dataset.json") && r.stderr.contains("1 label map(s) without an image ignored: b.nii.gz"), "\(r.stderr)")
    }

    /// Points alone, with the frozen model: one advice per run (batch: once, not per case); none with a box.
    @Test func pointOnlyPromptsAreAdvisedAgainstOnce() throws {
        let folder = SegmentCLITests.temporary("points")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try SegmentCLITests.writeCase(folder: folder, image: "ct.nii.gz", label: "gt.nii.gz")
        let advice = "has only point prompts: the frozen LiteMedSAM was trained with boxes"
        let points = try cli.run(["segment", folder + "/ct.nii.gz", "--point", "6:28,32,1", "--point", "6:28,32,2", "--quiet",
                                  "-o", folder + "/p.nii.gz"])
        #expect(points.status == 0 && points.stderr.components(separatedBy: advice).count == 2, "\(points.stderr)")
        let box = try cli.run(["segment", folder + "/ct.nii.gz", "--point", "6:28,32,1", "--box", "6:18,22,1,38,42,3", "--quiet",
                               "-o", folder + "/b.nii.gz"])
        #expect(box.status == 0 && !box.stderr.contains(advice), "\(box.stderr)")
    }
}
