import Foundation
import Testing
import Volume

/// `volsam batch` on BraTS 2021 and 2023 folders built from the real scans in ../shared/data (small crops around
/// each tumour so the suite stays fast): every region target, the BraTS label map, the region table, shards, resume.
@Suite(.serialized) struct BraTSBatchCLITests {
    let cli = CLITests()
    static let data = CLITests.repository.deletingLastPathComponent().appendingPathComponent("shared/data").path

    /// A real FLAIR and its reference, with reference labels renumbered, cropped to the tumour's in-plane box
    /// (+ 8 voxels) and `slices` axial slices around its middle.
    struct Source {
        let image: String, reference: String
        /// Reference value -> BraTS value of the layout's year.
        let relabel: [Float: Float]
    }

    static func writeCase(_ source: Source, to folder: String, id: String, imageSuffix: String, segSuffix: String,
                          slices: Int = 5) throws {
        let image = try VolumeLoader.load(path: source.image), labels = try VolumeLoader.load(path: source.reference)
        let s = labels.shape
        var lo = [Int.max, Int.max, Int.max], hi = [-1, -1, -1]
        for k in 0..<s[2] { for j in 0..<s[1] { for i in 0..<s[0] where labels[i, j, k] > 0 {
            for (a, v) in [i, j, k].enumerated() { lo[a] = min(lo[a], v); hi[a] = max(hi[a], v) }
        } } }
        let middle = (lo[2] + hi[2]) / 2
        let start = [max(0, lo[0] - 8), max(0, lo[1] - 8), max(0, middle - slices / 2)]
        let end = [min(s[0] - 1, hi[0] + 8), min(s[1] - 1, hi[1] + 8), min(s[2] - 1, start[2] + slices - 1)]
        let shape = (0..<3).map { end[$0] - start[$0] + 1 }
        var crop = [Float](), seg = [Float]()
        for k in start[2]...end[2] { for j in start[1]...end[1] { for i in start[0]...end[0] {
            crop.append(image[i, j, k])
            seg.append(source.relabel[labels[i, j, k]] ?? 0)
        } } }
        var shift = Affine.identity
        for a in 0..<3 { shift[a, 3] = Double(start[a]) }
        let header = SpatialHeader.from(affine: image.affine * shift)
        try FileManager.default.createDirectory(atPath: folder + "/" + id, withIntermediateDirectories: true)
        try NIfTIWriter.write(voxels: crop, shape: shape, header: header, datatype: .float32,
                              to: "\(folder)/\(id)/\(id)\(imageSuffix).nii.gz")
        try NIfTIWriter.write(voxels: seg, shape: shape, header: header, datatype: .uint8,
                              to: "\(folder)/\(id)/\(id)\(segSuffix).nii.gz", isLabelMap: true)
    }

    static func brats2015(_ patient: String, enhancing: Float) -> Source {
        let folder = data + "/brats2015/brats_2013_\(patient)_1"
        // 2015: 1 necrosis, 2 oedema, 3 non-enhancing, 4 enhancing; 2021 merges 3 into 1, 2023 numbers enhancing 3
        return Source(image: folder + "/Flair_subtrMeanDivStd.nii.gz", reference: folder + "/OTMultiClass.nii.gz",
                      relabel: [1: 1, 2: 2, 3: 1, 4: enhancing])
    }

    func json(_ path: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any] ?? [:]
    }

    @Test func brats2021ShardsThenResumeIntoOneTable() throws {
        guard FileManager.default.fileExists(atPath: Self.data + "/brats2015") else {
            print("skipped: ../shared/data/brats2015 is not here")
            return
        }
        let root = SegmentCLITests.temporary("brats2021"), out = SegmentCLITests.temporary("brats2021-out")
        defer {
            try? FileManager.default.removeItem(atPath: root)
            try? FileManager.default.removeItem(atPath: out)
        }
        try Self.writeCase(Self.brats2015("pat0005", enhancing: 4), to: root, id: "BraTS2021_00005",
                           imageSuffix: "_flair", segSuffix: "_seg")
        let sample = Source(image: Self.data + "/brats2021/imagesTr/BraTS2021_01646.nii.gz",
                            reference: Self.data + "/brats2021/labelsTr/BraTS2021_01646.nii.gz", relabel: [1: 2])  // oedema only
        try Self.writeCase(sample, to: root, id: "BraTS2021_01646", imageSuffix: "_flair", segSuffix: "_seg")
        for k in 1...2 {
            let r = try cli.run(["batch", root, "-o", out, "--targets", "wt,tc,et", "--shard", "\(k)/2", "--quiet"])
            #expect(r.status == 0, "shard \(k): \(r.stderr)")
            #expect(try json(out + "/run_shard\(k)of2.json")["segmented"] as? Int == 1)
            #expect(r.stdout.contains("whole tumour") && r.stdout.contains("enhancing tumour"), "\(r.stdout)")
        }
        let resumed = try cli.run(["batch", root, "-o", out, "--targets", "wt,tc,et", "--resume", "--quiet"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let run = try json(out + "/run.json")
        #expect(run["segmented"] as? Int == 0 && run["resumed"] as? Int == 2)
        #expect(try json(out + "/summary.json")["cases"] as? Int == 2)
        let csv = try String(contentsOfFile: out + "/metrics.csv", encoding: .utf8)
        #expect(csv.split(separator: "\n").count == 1 + 2 * 3, "a row per case and region: \(csv)")
        // the BraTS label map: oedema 2, core 1, enhancing 4 (2021), on the case's grid
        let seg = try VolumeLoader.load(path: out + "/BraTS2021_00005.nii.gz")
        let image = try VolumeLoader.load(path: root + "/BraTS2021_00005/BraTS2021_00005_flair.nii.gz")
        #expect(seg.shape == image.shape && seg.header == image.header)
        let values = Set(seg.voxels)
        #expect(values.isSubset(of: [0, 1, 2, 4]) && values.contains(2) && values.contains(4), "\(values)")
        let names = try json(out + "/BraTS2021_00005.labels.json")
        #expect((names["4"] as? [String: String]) == ["name": "enhancing tumour", "color": "#0082c8"])
        let wholeTumour = csv.split(separator: "\n").first { $0.hasPrefix("BraTS2021_00005,") && $0.contains("whole tumour") }
        let dice = wholeTumour.flatMap { Double($0.split(separator: ",", omittingEmptySubsequences: false)[3]) } ?? 0
        #expect(dice > 0.6, "\(csv)")
    }

    @Test func brats2023WritesEnhancingAsThree() throws {
        guard FileManager.default.fileExists(atPath: Self.data + "/brats2015") else {
            print("skipped: ../shared/data/brats2015 is not here")
            return
        }
        let root = SegmentCLITests.temporary("brats2023"), out = SegmentCLITests.temporary("brats2023-out")
        defer {
            try? FileManager.default.removeItem(atPath: root)
            try? FileManager.default.removeItem(atPath: out)
        }
        try Self.writeCase(Self.brats2015("pat0006", enhancing: 3), to: root, id: "BraTS-GLI-00006-000",
                           imageSuffix: "-t2f", segSuffix: "-seg")
        let r = try cli.run(["batch", root, "-o", out, "--targets", "et,wt,tc"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try json(out + "/run.json")["dataset_layout"] as? String == "brats2023")
        let seg = try VolumeLoader.load(path: out + "/BraTS-GLI-00006-000.nii.gz")
        let values = Set(seg.voxels)
        #expect(values.isSubset(of: [0, 1, 2, 3]) && values.contains(3), "\(values)")
        #expect(r.stdout.contains("tumour core"))
    }
}
