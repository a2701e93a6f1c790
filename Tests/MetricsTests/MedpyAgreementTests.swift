import Foundation
import Testing
@testable import Metrics
@testable import Volume

/// Agreement with medpy 0.5.2 to 1e-6 relative (tools/reference/make_metric_fixtures.py wrote the expected values).
@Suite struct MedpyAgreementTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path
    static let shared = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/data").path

    struct Expected: Decodable {
        struct Label: Decodable {
            let label: Int, pred_voxels: Int, gt_voxels: Int
            let dice: Double, iou: Double
            let hd95: Double?, hd: Double?, assd: Double?, asd: Double?, hd95_monai: Double?, nsd_1mm: Double?
            let hd95_voxels: Double?
        }
        let spacing: [Double]
        let shared: Bool
        let labels: [Label]
    }

    static let expected: [String: Expected] = {
        let data = try! Data(contentsOf: URL(fileURLWithPath: fixtures + "/expected.json"))
        return try! JSONDecoder().decode([String: Expected].self, from: data)
    }()

    /// The prediction and reference of a case: committed files, or masks derived from ../shared/data as the script did.
    static func pair(_ name: String) throws -> (pred: [Float], gt: [Float], shape: [Int])? {
        if !(expected[name]!.shared) {
            let pred = try NIfTIReader.read(path: fixtures + "/\(name)_pred.nii.gz")
            let gt = try NIfTIReader.read(path: fixtures + "/\(name)_gt.nii.gz")
            return (pred.voxels, gt.voxels, pred.shape)
        }
        if name.hasPrefix("brats2015") {
            let folder = shared + "/brats2015/brats_2013_pat0005_1"
            guard FileManager.default.fileExists(atPath: folder) else { print("skipping: \(folder) is absent"); return nil }
            let flair = try NIfTIReader.read(path: folder + "/Flair_subtrMeanDivStd.nii.gz")
            let truth = try NIfTIReader.read(path: folder + "/OTMultiClass.nii.gz")
            return (flair.voxels.map { $0 > 1.5 ? 1 : 0 }, truth.voxels.map { $0 > 0 ? 1 : 0 }, flair.shape)
        }
        let path = shared + "/totalsegmentator/example_seg.nii.gz"
        guard FileManager.default.fileExists(atPath: path) else { print("skipping: \(path) is absent"); return nil }
        let seg = try NIfTIReader.read(path: path)
        let gt = seg.voxels.map { $0 == 5 ? Float(1) : 0 }
        var pred = [Float](repeating: 0, count: gt.count)
        let nx = seg.shape[0]
        for p in gt.indices { pred[p - p % nx + (p % nx + 2) % nx] = gt[p] }  // numpy.roll(gt, 2, axis=0)
        return (pred, gt, seg.shape)
    }

    static func close(_ a: Double?, _ b: Double?) -> Bool {
        guard let a, let b else { return a == nil && b == nil }
        return abs(a - b) <= 1e-6 * max(1e-12, abs(b)) + 1e-12
    }

    @Test(arguments: expected.keys.sorted())
    func matchesMedpy(name: String) throws {
        guard let (pred, gt, shape) = try Self.pair(name) else { return }
        let case_ = Self.expected[name]!
        let labels = case_.labels.map(\.label)
        let medpy = try LabelMapEvaluator.evaluate(prediction: pred, reference: gt, shape: shape, spacing: case_.spacing,
                                                   options: MetricOptions(convention: .medpy, labels: labels))
        let monai = try LabelMapEvaluator.evaluate(prediction: pred, reference: gt, shape: shape, spacing: case_.spacing,
                                                   options: MetricOptions(convention: .monai, labels: labels))
        let transunet = try LabelMapEvaluator.evaluate(prediction: pred, reference: gt, shape: shape, spacing: case_.spacing,
                                                       options: MetricOptions(convention: .transunet, labels: labels))
        for (i, want) in case_.labels.enumerated() {
            let got = medpy[i]
            #expect(got.predVoxels == want.pred_voxels && got.gtVoxels == want.gt_voxels)
            #expect(Self.close(got.dice, want.dice), "\(name) \(want.label) dice \(String(describing: got.dice)) vs \(want.dice)")
            #expect(Self.close(got.iou, want.iou))
            #expect(Self.close(got.hd95, want.hd95), "\(name) \(want.label) hd95 \(String(describing: got.hd95)) vs \(String(describing: want.hd95))")
            #expect(Self.close(got.hd, want.hd))
            #expect(Self.close(got.assd, want.assd))
            #expect(Self.close(got.asd, want.asd))
            #expect(Self.close(got.nsd, want.nsd_1mm))
            #expect(Self.close(monai[i].hd95, want.hd95_monai))
            if want.hd95_voxels != nil { #expect(Self.close(transunet[i].hd95, want.hd95_voxels)) }
        }
    }
}
