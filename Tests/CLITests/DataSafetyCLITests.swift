import Foundation
import Testing
import Volume

/// No command overwrites its inputs or writes among a dataset's inputs, whatever path names them; numbers printed
/// describe the files written.
@Suite(.serialized) struct DataSafetyCLITests {
    let cli = CLITests()

    /// A folder with the synthetic case of SegmentCLITests, a symbolic link and a hard link to its files.
    func scratch() throws -> String {
        let folder = SegmentCLITests.temporary("safety")
        try SegmentCLITests.writeCase(folder: folder, image: "ct.nii.gz", label: "gt.nii.gz")
        try FileManager.default.createSymbolicLink(atPath: folder + "/link.nii.gz", withDestinationPath: "ct.nii.gz")
        try FileManager.default.linkItem(atPath: folder + "/gt.nii.gz", toPath: folder + "/hard.nii.gz")
        return folder
    }

    func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    @Test func everyCommandRefusesToOverwriteItsInputs() throws {
        let folder = try scratch()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let (ct, gt) = (folder + "/ct.nii.gz", folder + "/gt.nii.gz")
        let before = try [bytes(ct), bytes(gt)]
        let box = ["--box", "6:20,20,1,40,40,3"]
        let cases: [[String]] = [
            ["segment", ct, "-o", ct] + box,
            ["segment", ct, "-o", folder + "/../" + URL(fileURLWithPath: folder).lastPathComponent + "/link.nii.gz"] + box,
            ["segment", ct, "-o", folder + "/hard.nii.gz", "--prompts-from", gt],
            ["segment", ct, "-o", folder + "/seg.nii.gz", "--prompts-from", gt, "--probabilities", gt],
            ["segment", ct, "-o", folder + "/seg.nii.gz", "--prompts-from", gt, "--split", folder],  // writes label_6.nii.gz only
            ["segment", folder + "/./link.nii.gz", "-o", folder + "/seg.nii.gz", "--prompts-from", gt, "--stats", ct],
            ["convert", ct, folder + "/link.nii.gz"],
            ["preview", ct, "--labels", gt, "--text", "-o", folder + "/x.png"],
        ]
        for (index, arguments) in cases.enumerated() {
            let r = try cli.run(arguments)
            if index == 4 || index == 7 {  // nothing of theirs is an input: they run
                #expect(r.status == 0, "\(arguments): \(r.stderr)")
                try? FileManager.default.removeItem(atPath: folder + "/seg.nii.gz")
                continue
            }
            #expect(r.status != 0, "\(arguments)")
            #expect(r.stderr.contains("refusing to overwrite an input"), "\(arguments): \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: folder + "/seg.nii.gz"), "\(arguments)")
        }
        #expect(try [bytes(ct), bytes(gt)] == before)
    }

    @Test func batchOutputsStayOutOfTheDatasetsInputFolders() throws {
        let root = SegmentCLITests.temporary("safety-batch")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try SegmentCLITests.writeCase(folder: root + "/imagesTr", image: "case_001_0000.nii.gz", label: "../labelsTr/case_001.nii.gz")
        try Data(#"{"labels": {"0": "background", "6": "liver"}, "modality": {"0": "CT"}}"#.utf8)
            .write(to: URL(fileURLWithPath: root + "/dataset.json"))
        let before = try bytes(root + "/labelsTr/case_001.nii.gz")
        for output in [root + "/labelsTr", root + "/imagesTr", root, root + "/labelsTr/../labelsTr/predictions"] {
            let r = try cli.run(["batch", root, "-o", output, "--quiet"])
            #expect(r.status != 0, "\(output)")
            #expect(r.stderr.contains("refusing to write among the inputs") || r.stderr.contains("is the dataset folder"), "\(r.stderr)")
        }
        #expect(try bytes(root + "/labelsTr/case_001.nii.gz") == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root).sorted() == ["dataset.json", "imagesTr", "labelsTr"])
    }

    @Test func missingOutputFoldersAreRefusedBeforeAnyWork() throws {
        let folder = try scratch()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let missing = folder + "/no/such"
        let cases: [[String]] = [
            ["segment", folder + "/ct.nii.gz", "-o", missing + "/seg.nii.gz", "--box", "6:20,20,1,40,40,3"],
            ["segment", folder + "/ct.nii.gz", "-o", folder + "/seg.nii.gz", "--box", "6:20,20,1,40,40,3", "--split", missing],
            ["convert", folder + "/ct.nii.gz", missing + "/ct.nii.gz"],
            ["preview", folder + "/ct.nii.gz", "-o", missing + "/p.png"],
            ["eval", folder, folder, "-o", missing, "--quiet"],
        ]
        for arguments in cases {
            let r = try cli.run(arguments)
            #expect(r.status != 0, "\(arguments)")
            #expect(r.stderr.contains("does not exist"), "\(arguments): \(r.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: folder + "/no"))
        #expect(!FileManager.default.fileExists(atPath: folder + "/seg.nii.gz"))
    }

    /// --keep-largest removes the second disc: the printed metrics are those of `volsam eval` on the file written,
    /// and the probability map is above 0.5 exactly where the written label map is set.
    @Test func printedNumbersDescribeTheFilesWritten() throws {
        let folder = SegmentCLITests.temporary("written")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try SegmentCLITests.writeCase(folder: folder, image: "ct.nii.gz", label: "gt.nii.gz", secondDisc: true)
        for keep in [false, true] {
            let out = folder + "/seg\(keep).nii.gz", prob = folder + "/prob\(keep).nii.gz"
            let r = try cli.run(["segment", folder + "/ct.nii.gz", "--prompts-from", folder + "/gt.nii.gz", "--strategy", "slice-boxes",
                                 "-o", out, "--probabilities", prob, "--json"] + (keep ? ["--keep-largest"] : []))
            #expect(r.status == 0, "\(r.stderr)")
            let reported = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            let evaluated = try cli.run(["eval", out, folder + "/gt.nii.gz", "--json"])
            let scored = try #require(try JSONSerialization.jsonObject(with: Data(evaluated.stdout.utf8)) as? [String: Any])
            let a = try #require((reported["metrics"] as? [[String: Any]])?.first), b = try #require((scored["labels"] as? [[String: Any]])?.first)
            for key in ["dice", "hd95", "pred_voxels"] { #expect("\(a[key]!)" == "\(b[key]!)", "\(key) keep \(keep)") }
            let labels = try VolumeLoader.load(path: out), probabilities = try VolumeLoader.load(path: prob)
            let disagree = zip(labels.voxels, probabilities.voxels).filter { ($0 != 0) != ($1 > 0.5) }.count
            #expect(disagree == 0, "keep-largest \(keep): \(disagree) voxels where p > 0.5 and the label map disagree")
            if keep {
                let removed = try #require(reported["removed_by_keep_largest"] as? Int)
                #expect(removed > 0, "the second disc is a second component")
            }
        }
    }
}
