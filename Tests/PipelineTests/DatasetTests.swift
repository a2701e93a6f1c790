import Foundation
import Testing
@testable import Pipeline
@testable import Volume

/// Dataset layouts, shards and the prompt syntax.
@Suite struct DatasetTests {
    /// This process's folder for the made-up datasets, removed when the tests end.
    static let scratch: String = {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("volsam-dataset-tests-\(getpid())").path
        atexit { try? FileManager.default.removeItem(atPath: DatasetTests.scratch) }
        return path
    }()

    static func folder(_ files: [String]) throws -> String {
        let root = scratch + "/" + UUID().uuidString
        for file in files {
            let path = root + "/" + file
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            FileManager.default.createFile(atPath: path, contents: Data())
        }
        return root
    }

    @Test func layoutsAreDetectedAndListed() throws {
        let brats21 = try Self.folder(["B_002/B_002_flair.nii.gz", "B_002/B_002_seg.nii.gz", "B_001/B_001_flair.nii.gz",
                                       "B_001/B_001_t1.nii.gz", "B_001/B_001_seg.nii.gz"])
        #expect(try DatasetLayout.detect(brats21) == .brats2021)
        let cases = try DatasetLayout.brats2021.cases(in: brats21)
        #expect(cases.map(\.id) == ["B_001", "B_002"])
        #expect(cases[0].image.hasSuffix("B_001/B_001_flair.nii.gz") && cases[0].reference!.hasSuffix("B_001_seg.nii.gz"))
        #expect(try DatasetLayout.brats2021.cases(in: brats21, channel: "t1").map(\.id) == ["B_001"])
        let brats23 = try Self.folder(["C-1/C-1-t2f.nii.gz", "C-1/C-1-t1c.nii.gz", "C-1/C-1-seg.nii.gz"])
        #expect(try DatasetLayout.detect(brats23) == .brats2023)
        #expect(try DatasetLayout.brats2023.cases(in: brats23, channel: "t1ce")[0].image.hasSuffix("C-1-t1c.nii.gz"))
        let synapse = try Self.folder(["img/img0001.nii.gz", "img/img0002.nii.gz", "label/label0001.nii.gz"])
        #expect(try DatasetLayout.detect(synapse) == .synapse)
        let s = try DatasetLayout.synapse.cases(in: synapse)
        #expect(s.map(\.id) == ["img0001", "img0002"] && s[0].reference!.hasSuffix("label/label0001.nii.gz") && s[1].reference == nil)
        let msd = try Self.folder(["imagesTr/liver_1_0000.nii.gz", "imagesTr/liver_1_0001.nii.gz", "imagesTr/other.nii.gz",
                                   "labelsTr/liver_1.nii.gz", "labelsTr/other.nii.gz"])
        #expect(try DatasetLayout.detect(msd) == .msd)
        #expect(try DatasetLayout.msd.cases(in: msd).map(\.id) == ["liver_1", "other"])
        #expect(throws: VolumeError.self) { try DatasetLayout.detect(try Self.folder(["x/readme.txt"])) }
        #expect(throws: PromptError.self) { try DatasetLayout.brats2021.cases(in: brats21, channel: "dwi") }
    }

    @Test func msdDatasetJSONGivesLabelsAndModality() throws {
        let root = try Self.folder([])
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try Data(#"{"labels": {"0": "background", "1": "liver", "2": "cancer"}, "modality": {"0": "CT"}}"#.utf8)
            .write(to: URL(fileURLWithPath: root + "/v1.json"))
        try Data(#"{"labels": {"background": 0, "spleen": 1}, "channel_names": {"0": "T2"}}"#.utf8)
            .write(to: URL(fileURLWithPath: root + "/v2.json"))
        let v1 = try #require(try DatasetLabels.msd(root + "/v1.json")), v2 = try #require(try DatasetLabels.msd(root + "/v2.json"))
        #expect(try DatasetLabels.msd(root + "/none.json") == nil)
        #expect(v1.labels == [1: "liver", 2: "cancer"] && v1.modality == "CT")
        #expect(v2.labels == [1: "spleen"] && v2.modality == "T2")
    }

    @Test func shardsCoverEveryCaseExactlyOnce() throws {
        let cases = (0..<23).map { "case\($0)" }
        for n in [1, 2, 5, 23, 30] {
            let shards = try (1...n).map { try Shard(parsing: "\($0)/\(n)").select(cases) }
            #expect(shards.flatMap { $0 }.sorted() == cases.sorted(), "N = \(n)")
            #expect(Set(shards.flatMap { $0 }).count == cases.count)
        }
        #expect(try Shard(parsing: "2/3").select(cases).prefix(2) == ["case1", "case4"])
        for bad in ["0/3", "4/3", "1", "a/b", "1/0"] { #expect(throws: PromptError.self) { try Shard(parsing: bad) } }
    }

    @Test func braTSRegionsNestAndPaint() throws {
        let regions = try TumourRegion.regions(enhancingLabel: 4, names: ["et", "wt", "tc"])
        #expect(regions.map(\.shortName) == ["WT", "TC", "ET"])
        #expect(regions[0].binary([0, 1, 2, 3, 4]) == [0, 1, 1, 0, 1])
        #expect(regions[1].binary([0, 1, 2, 3, 4]) == [0, 1, 0, 0, 1])
        #expect(try TumourRegion.regions(enhancingLabel: 3, names: ["et"])[0].members == [3])
        #expect(throws: PromptError.self) { try TumourRegion.regions(enhancingLabel: 4, names: ["core"]) }
    }

    @Test func promptTextAndFilesAreCheckedAgainstTheVolume() throws {
        #expect(try PromptText.box("3:1,2,3,4,5,6").label == 3)
        #expect(try PromptText.point("2:1,2,3,neg").positive == false)
        for bad in ["1:1,2,3", "x:1,2,3,4,5,6", "0:1,2,3,4,5,6", "1:1,2,3,4,5,z"] {
            #expect(throws: PromptError.self, "\(bad)") { try PromptText.box(bad) }
        }
        let lps = Affine(rows: [[-2, 0, 0, 10], [0, -2, 0, 20], [0, 0, 3, -5], [0, 0, 0, 1]])
        let volume = Volume(shape: [10, 8, 6], affine: lps, voxels: [Float](repeating: 0, count: 480), header: .from(affine: lps),
                            source: VolumeSource(path: "img.nii.gz", format: "test", datatype: .float32)).canonical()
        let placement = PromptPlacement(volume: volume)
        #expect(try placement.canonical(voxel: [9, 7, 5], what: "box") == [9, 7, 5])
        do {
            _ = try placement.canonical(voxel: [10, 0, 0], what: "--box 1:10,0,0,1,1,1")
            Issue.record("outside accepted")
        } catch let e as PromptError {
            #expect(e.message == "--box 1:10,0,0,1,1,1: voxel (10, 0, 0) is outside the volume (10 x 8 x 6; indices start at 0)")
        }
        // world RAS mm: voxel (i, j, k) sits at RAS (10 - 2i, 20 - 2j, 3k - 5)
        #expect(try placement.canonical(world: [6, 14, 4], what: "point") == [2, 3, 3])
        let json = FileManager.default.temporaryDirectory.appendingPathComponent("volsam-prompts-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: json) }
        try Data(#"{"prompts": [{"label": 2, "name": "kidney", "boxes": [{"voxel": [1, 1, 1, 4, 5, 4]}, {"world": [8, 18, 1, 4, 14, 1]}], "points": [{"voxel": [2, 2, 2], "positive": false}]}]}"#.utf8)
            .write(to: URL(fileURLWithPath: json))
        let read = try PromptFile.read(path: json, placement: placement)
        #expect(read.count == 1 && read[0].name == "kidney")
        #expect(read[0].propagations == [PropagationPrompt(keySlice: 2, box: PromptBox(x0: 1, y0: 1, x1: 4, y1: 5), slices: 1...4)])
        #expect(read[0].slicePrompts[2] == SlicePrompt(box: PromptBox(x0: 1, y0: 1, x1: 3, y1: 3), points: [PromptPoint(x: 2, y: 2, positive: false)]))
        try Data(#"{"prompts": [{"label": 2, "boxes": [{"voxel": [1, 1, 1, 4, 5, 40]}]}]}"#.utf8).write(to: URL(fileURLWithPath: json))
        #expect(throws: PromptError.self) { try PromptFile.read(path: json, placement: placement) }
    }
}
