import Foundation
import Testing

/// `volsam eval` end to end: one pair, grid mismatches, folder mode.
@Suite struct EvalCLITests {
    let cli = CLITests()
    static let fixtures = CLITests.repository.appendingPathComponent("Tests/MetricsTests/Fixtures").path

    @Test func pairJSONHasTheDocumentedFields() throws {
        let f = Self.fixtures
        let result = try cli.run(["eval", f + "/blobs_aniso_pred.nii.gz", f + "/blobs_aniso_gt.nii.gz", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let labels = try #require(json["labels"] as? [[String: Any]])
        #expect(labels.map { $0["label"] as? Int } == [1, 2, 3, 4, 5])
        for key in ["label", "dice", "iou", "hd95", "hd", "assd", "nsd", "pred_voxels", "gt_voxels"] {
            #expect(labels.allSatisfy { $0[key] != nil }, "missing \(key)")
        }
        #expect(labels[4]["hd95"] is NSNull && labels[4]["note"] != nil, "undefined -> null with a note")
    }

    @Test func differentGridsAreAClearError() throws {
        let f = Self.fixtures
        let result = try cli.run(["eval", f + "/shifted_cube_pred.nii.gz", f + "/blobs_aniso_gt.nii.gz"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("shape") && result.stderr.contains("shifted_cube_pred.nii.gz"))
    }

    @Test func folderModeWritesCSVAndSummary() throws {
        let folder = NSTemporaryDirectory() + "volsam-eval-" + UUID().uuidString
        let (pred, gt) = (folder + "/pred", folder + "/gt")
        try FileManager.default.createDirectory(atPath: pred, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: gt, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for name in ["blobs_aniso", "shifted_cube", "random_sparse"] {
            try FileManager.default.copyItem(atPath: Self.fixtures + "/\(name)_pred.nii.gz", toPath: pred + "/\(name).nii.gz")
            try FileManager.default.copyItem(atPath: Self.fixtures + "/\(name)_gt.nii.gz", toPath: gt + "/\(name)_seg.nii.gz")
        }
        let result = try cli.run(["eval", pred, gt, "--gt-suffix", "_seg", "--quiet", "-o", folder + "/out", "--per-slice"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Dice (%)") && result.stdout.contains("HD95 (mm)"))
        let csv = try String(contentsOfFile: folder + "/out/metrics.csv", encoding: .utf8)
        #expect(csv.split(separator: "\n").count == 1 + 5 + 1 + 1)  // header, 5 labels, 1, 1
        let perSlice = try String(contentsOfFile: folder + "/out/metrics_per_slice.csv", encoding: .utf8)
        #expect(perSlice.hasPrefix("case,slice,label") && perSlice.split(separator: "\n").count > 20)
        let summary = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: folder + "/out/summary.json"))) as? [String: Any])
        #expect((summary["metric_per_case"] as? [Any])?.count == 3)
        let stats = try #require((summary["statistics"] as? [String: Any])?["1"] as? [String: Any])
        let dice = try #require(stats["dice"] as? [String: Any])
        #expect(dice["count"] as? Int == 3)
        #expect(summary["foreground_mean"] != nil && summary["mean"] != nil)
        // A reference without a prediction is reported and makes the exit status non-zero.
        try FileManager.default.copyItem(atPath: Self.fixtures + "/shifted_cube_gt.nii.gz", toPath: gt + "/extra_seg.nii.gz")
        let missing = try cli.run(["eval", pred, gt, "--gt-suffix", "_seg", "--quiet", "-o", folder + "/out"])
        #expect(missing.status != 0 && missing.stderr.contains("missing prediction for case extra"))
    }
}
