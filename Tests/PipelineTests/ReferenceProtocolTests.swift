import Foundation
import SAM
import Testing
@testable import Pipeline
@testable import Volume

/// VolSAM's 3-D segmentation against a PyTorch run of the LiteMedSAM reference protocol on real scans
/// (tools/reference/litemedsam_3d_reference.py wrote the fixtures): same prompts, and each label's own mask (before
/// overlaps are resolved; the reference lets later labels overwrite, VolSAM the higher logit) within 1 Dice point.
@Suite(.serialized) struct ReferenceProtocolTests {
    static let tests = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let sharedData = tests.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("shared/data").path
    static let model: LiteMedSAM? = try? LiteMedSAM()

    struct Fixture: Decodable {
        struct Row: Decodable {
            let label: Int
            let name: String
            let box: [Int]
            let key_slice: Int
            let dice: Double
            let dice_overwritten: Double?
        }
        let labels: [Row]
    }

    @Test(arguments: ["example_ct_sm", "brats_2013_pat0005_1", "brats_2013_pat0006_1"])
    func diceWithinOnePointOfPyTorch(_ name: String) throws {
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: Self.tests.appendingPathComponent("Fixtures/reference3d/\(name).json")))
        let ct = name == "example_ct_sm"
        let (imagePath, labelPath) = ct
            ? ("totalsegmentator/example_ct_sm.nii.gz", "totalsegmentator/example_seg.nii.gz")
            : ("brats2015/\(name)/Flair_subtrMeanDivStd.nii.gz", "brats2015/\(name)/OTMultiClass.nii.gz")
        guard FileManager.default.fileExists(atPath: Self.sharedData + "/" + imagePath) else {
            print("skipping \(name): ../shared/data is not present")
            return
        }
        guard let model = Self.model else {
            print("skipping \(name): LiteMedSAM weights are not in the cache (make weights)")
            return
        }
        var volume = try VolumeLoader.load(path: Self.sharedData + "/" + imagePath).canonical()
        Normalization.normalize(&volume, window: .standard(for: ct ? .ct : .mr))
        var labels = try VolumeLoader.load(path: Self.sharedData + "/" + labelPath)
        if !ct { labels.voxels = labels.voxels.map { $0 > 0 ? 1 : 0 } }  // whole tumour = labels 1-4
        let reference = labels.canonical()
        let prompts = try LabelMapPrompts(labelMap: reference, labels: fixture.labels.map(\.label)).prompts(strategy: .box)
        for (row, prompt) in zip(fixture.labels, prompts) {
            let p = prompt.propagations[0]
            #expect(p.keySlice == row.key_slice, "\(row.name)")
            #expect([p.box.x0, p.box.y0, Double(p.slices.lowerBound), p.box.x1, p.box.y1, Double(p.slices.upperBound)]
                        == row.box.map(Double.init), "\(row.name)")
        }
        var segmenter = VolumeSegmenter(model: model)
        segmenter.keepsLabelMasks = true
        segmenter.propagation = .reference
        let result = segmenter.segment(volume, prompts: prompts)
        func dice(_ predicted: (Int) -> Bool, _ value: Float) -> Double {
            var both = 0, p = 0, t = 0
            for i in 0..<result.labels.count {
                let a = predicted(i), b = reference.voxels[i] == value
                if a { p += 1 }
                if b { t += 1 }
                if a && b { both += 1 }
            }
            return Double(2 * both) / Double(p + t)
        }
        for row in fixture.labels {
            let mask = result.masks[row.label]!
            let own = dice({ mask[$0] }, Float(row.label))
            let merged = dice({ result.labels[$0] == UInt16(row.label) }, Float(row.label))
            print(String(format: "%@ %@: Dice %.4f (PyTorch %.4f); overlaps resolved: VolSAM %.4f, reference %.4f",
                         name, row.name, own, row.dice, merged, row.dice_overwritten ?? row.dice))
            #expect(abs(own - row.dice) <= 0.01, "\(name) \(row.name): \(own) vs PyTorch \(row.dice)")
        }
    }
}
