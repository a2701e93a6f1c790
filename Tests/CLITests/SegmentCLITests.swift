import Foundation
import Testing
import Volume

/// `volsam segment` and `volsam batch` as a user runs them, with the real model on tiny synthetic scans.
@Suite(.serialized) struct SegmentCLITests {
    let cli = CLITests()

    /// A 64 x 64 x `slices` CT (soft tissue 40 HU, air outside a disc) with a bright 200 HU disc labelled 6 on
    /// slices 1... (LiteMedSAM under-segments such small flat synthetic discs: Dice about 0.78). `secondDisc`: 6
    /// slices, the first disc on slices 1...3 only and a second one, also labelled 6, alone on slice 5.
    static func writeCase(folder: String, image: String, label: String, slices: Int = 4, shift: Int = 0,
                          secondDisc: Bool = false) throws {
        let slices = secondDisc ? 6 : slices
        let affine = Affine(rows: [[-1.5, 0, 0, 40], [0, 1.5, 0, -60], [0, 0, 4, 10], [0, 0, 0, 1]])  // LAS
        var hu = [Float](repeating: -1000, count: 64 * 64 * slices), labels = [Float](repeating: 0, count: hu.count)
        for k in 0..<slices {
            for j in 0..<64 {
                for i in 0..<64 {
                    let p = i + 64 * (j + 64 * k)
                    if (i - 32) * (i - 32) + (j - 32) * (j - 32) < 900 { hu[p] = 40 }
                    if (i - 28 - shift) * (i - 28 - shift) + (j - 32) * (j - 32) < 100 && k >= 1 && !(secondDisc && k > 3) {
                        hu[p] = 200
                        labels[p] = 6
                    }
                    if secondDisc && k == 5 && (i - 44) * (i - 44) + (j - 40) * (j - 40) < 49 {
                        hu[p] = 200
                        labels[p] = 6
                    }
                }
            }
        }
        let header = SpatialHeader.from(affine: affine)
        for path in [folder, ((folder + "/" + label) as NSString).deletingLastPathComponent] {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
        try NIfTIWriter.write(voxels: hu, shape: [64, 64, slices], header: header, datatype: .int16, to: folder + "/" + image)
        try NIfTIWriter.write(voxels: labels, shape: [64, 64, slices], header: header, datatype: .uint8,
                              to: folder + "/" + label, isLabelMap: true)
    }

    static func temporary(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("volsam-\(name)-\(UUID().uuidString)").path
    }

    @Test func segmentWritesTheMaskAndScoresIt() throws {
        let folder = Self.temporary("segment")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Self.writeCase(folder: folder, image: "ct.nii.gz", label: "gt.nii.gz")
        let r = try cli.run(["segment", folder + "/ct.nii.gz", "--prompts-from", folder + "/gt.nii.gz", "-o", folder + "/seg.nii.gz",
                             "--probabilities", folder + "/prob.nii.gz", "--split", folder + "/split", "--stats", folder + "/stats.json",
                             "--keep-largest", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let metrics = (json?["metrics"] as? [[String: Any]])?.first
        #expect((metrics?["dice"] as? Double ?? 0) > 0.7, "\(r.stdout)")
        #expect(json?["slices_encoded"] as? Int == 3)  // slices 1...3
        #expect(json?["propagation"] as? String == "auto")
        let seg = try VolumeLoader.load(path: folder + "/seg.nii.gz")
        let input = try VolumeLoader.load(path: folder + "/ct.nii.gz")
        #expect(seg.header == input.header && seg.shape == input.shape)
        #expect(seg[28, 32, 2] == 6 && seg[5, 5, 2] == 0 && seg[28, 32, 0] == 0 && seg[28, 43, 2] == 0)
        let prob = try VolumeLoader.load(path: folder + "/prob.nii.gz")
        #expect(prob[28, 32, 2] > 0.5 && prob[5, 5, 0] == 0)
        #expect(FileManager.default.fileExists(atPath: folder + "/split/label_6.nii.gz"))
        #expect(FileManager.default.fileExists(atPath: folder + "/seg.labels.json") && FileManager.default.fileExists(atPath: folder + "/seg.run.json"))
        let stats = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/stats.json"))) as? [[String: Any]]
        #expect(abs((stats?.first?["mean_intensity"] as? Double ?? 0) - 200) < 20)
    }

    @Test func badPromptsAreRefusedBeforeAnyWork() throws {
        let folder = Self.temporary("badprompts")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Self.writeCase(folder: folder, image: "ct.nii.gz", label: "gt.nii.gz")
        try NIfTIWriter.write(voxels: [Float](repeating: 0, count: 64 * 64 * 4), shape: [64, 64, 4],
                              header: try VolumeLoader.load(path: folder + "/gt.nii.gz").header, datatype: .uint8,
                              to: folder + "/empty.nii.gz", isLabelMap: true)
        let image = folder + "/ct.nii.gz", out = folder + "/seg.nii.gz"
        let cases: [([String], String)] = [
            (["--box", "1:10,10,0,70,20,2"], "voxel (70, 20, 2) is outside the volume (64 x 64 x 4"),
            (["--point", "2:10,10"], "needs LABEL:i,j,k"),
            (["--box", "0:1,1,1,2,2,2"], "label 0 must be in 1...65535"),
            (["--prompts-from", folder + "/gt.nii.gz", "--labels", "6,9"], "label 9 not in the label map (present: 6)"),
            (["--prompts-from", folder + "/empty.nii.gz"], "the label map is empty"),
            (["--prompts-from", folder + "/gt.nii.gz", "--strategy", "boxes"], "unknown strategy 'boxes'"),
            ([], "give prompts"),
        ]
        for (arguments, message) in cases {
            let r = try cli.run(["segment", image, "-o", out] + arguments)
            #expect(r.status != 0, "\(arguments)")
            #expect(r.stderr.contains(message), "\(arguments): \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out))
        }
    }

    @Test func batchGoesOnAfterAFailureAndResumes() throws {
        let root = Self.temporary("batch"), out = Self.temporary("batch-out")
        defer {
            try? FileManager.default.removeItem(atPath: root)
            try? FileManager.default.removeItem(atPath: out)
        }
        try Self.writeCase(folder: root + "/img", image: "img0001.nii.gz", label: "../label/label0001.nii.gz", slices: 3)
        try Self.writeCase(folder: root + "/img", image: "img0002.nii.gz", label: "../label/label0002.nii.gz", slices: 3, shift: 6)
        try Self.writeCase(folder: root + "/img", image: "img0003.nii.gz", label: "../label/label0003.nii.gz", slices: 3)
        try Data("not a nifti".utf8).write(to: URL(fileURLWithPath: root + "/label/label0002.nii.gz"))
        let first = try cli.run(["batch", root, "-o", out, "--labels", "6", "--quiet"])
        #expect(first.status != 0)
        #expect(first.stderr.contains("case img0002 failed"))
        let failures = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/failures.json"))) as? [[String: Any]]
        #expect(failures?.map { $0["case"] as? String } == ["img0002"])
        let csv = try String(contentsOfFile: out + "/metrics.csv", encoding: .utf8)
        #expect(csv.contains("img0001") && csv.contains("img0003") && !csv.contains("img0002"))
        #expect(first.stdout.contains("liver"))
        // a crash mid-case leaves no output (files are renamed into place when complete): remove case 3's output
        let kept = try FileManager.default.attributesOfItem(atPath: out + "/img0001.nii.gz")[.modificationDate] as? Date
        try FileManager.default.removeItem(atPath: out + "/img0003.nii.gz")
        try Self.writeCase(folder: root + "/img", image: "img0002.nii.gz", label: "../label/label0002.nii.gz", slices: 3, shift: 6)
        let second = try cli.run(["batch", root, "-o", out, "--labels", "6", "--quiet", "--resume", "--propagation", "reference"])
        #expect(second.status == 0, "\(second.stderr)")
        let run = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/run.json"))) as? [String: Any]
        #expect(run?["segmented"] as? Int == 2 && run?["resumed"] as? Int == 1)
        #expect((run?["weights_sha256"] as? String)?.count == 64)
        // the kernels that ran: on a CPU with AVX2 or AVX-512, never OpenBLAS's SSE3 (Prescott) core
        let machine = run?["machine"] as? [String: Any]
        #expect(machine?["blas_core"] as? String != "Prescott", "\(String(describing: machine))")
        #expect(machine?["kernels"] != nil && machine?["cpu_model"] != nil && machine?["vector_level"] != nil)
        #expect(try FileManager.default.attributesOfItem(atPath: out + "/img0001.nii.gz")[.modificationDate] as? Date == kept)
        #expect(!FileManager.default.fileExists(atPath: out + "/failures.json"))
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/summary.json"))) as? [String: Any]
        #expect(summary?["cases"] as? Int == 3)
        #expect(summary?["propagation"] as? String == "reference" && run?["propagation"] as? String == "reference")
    }
}
