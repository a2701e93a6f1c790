import Foundation
import Testing
@testable import Metrics

/// Cases whose answers are known exactly, and every convention's empty-mask rules.
@Suite struct HandComputedTests {
    static func box(_ shape: [Int], _ lower: [Int], _ upper: [Int], label: Float = 1) -> [Float] {
        var v = [Float](repeating: 0, count: shape.reduce(1, *))
        for k in lower[2]..<upper[2] { for j in lower[1]..<upper[1] { for i in lower[0]..<upper[0] {
            v[i + shape[0] * (j + shape[1] * k)] = label
        } } }
        return v
    }

    func evaluate(_ pred: [Float], _ gt: [Float], _ shape: [Int], _ spacing: [Double], _ convention: MetricConvention = .medpy,
                  labels: [Int]? = nil) throws -> [LabelMetrics] {
        try LabelMapEvaluator.evaluate(prediction: pred, reference: gt, shape: shape, spacing: spacing,
                                       options: MetricOptions(convention: convention, labels: labels))
    }

    @Test func shiftedCubesHaveAnExactHausdorffDistance() throws {
        let shape = [24, 20, 16]
        let a = Self.box(shape, [5, 4, 3], [15, 14, 13]), b = Self.box(shape, [8, 4, 3], [18, 14, 13])
        let m = try evaluate(a, b, shape, [0.7, 1.3, 2.9])[0]
        #expect(abs(m.hd! - 2.1) < 1e-12)
        #expect(abs(m.dice! - 0.7) < 1e-12)  // overlap 7 of 10 columns
        #expect(abs(m.iou! - 7.0 / 13.0) < 1e-12)
        let scaled = try evaluate(a, b, shape, [1.5, 1.3, 2.9])[0]
        #expect(abs(scaled.hd! - 4.5) < 1e-12)
    }

    @Test func masksTouchingTheArrayBorder() throws {
        let shape = [6, 6, 6]
        let full = [Float](repeating: 1, count: 216)
        let m = try evaluate(full, full, shape, [1, 1, 1])[0]
        #expect(m.dice == 1 && m.hd == 0 && m.hd95 == 0 && m.assd == 0 && m.nsd == 1)
        // The whole-array mask's surface is its outer shell (outside the array is background).
        let inner = Self.box(shape, [1, 1, 1], [5, 5, 5])
        let d = try evaluate(full, inner, shape, [1, 1, 1])[0]
        #expect(abs(d.hd! - 3.0.squareRoot()) < 1e-12, "outer corner (0,0,0) to inner corner (1,1,1)")
    }

    @Test func singleVoxels() throws {
        let shape = [10, 10, 10]
        let a = Self.box(shape, [2, 3, 4], [3, 4, 5]), b = Self.box(shape, [5, 7, 4], [6, 8, 5])
        let m = try evaluate(a, b, shape, [2, 1, 1])[0]
        let expected = (36.0 + 16.0).squareRoot()
        #expect(abs(m.hd! - expected) < 1e-12 && abs(m.hd95! - expected) < 1e-12 && abs(m.assd! - expected) < 1e-12)
        #expect(m.dice == 0 && m.nsd == 0)
    }

    @Test func emptyMasksUnderEveryConvention() throws {
        let shape = [8, 8, 8]
        let empty = [Float](repeating: 0, count: 512)
        let some = Self.box(shape, [2, 2, 2], [4, 4, 4])
        for convention in MetricConvention.allCases {
            let both = try evaluate(empty, empty, shape, [1, 1, 1], convention, labels: [1])[0]
            let missed = try evaluate(empty, some, shape, [1, 1, 1], convention, labels: [1])[0]
            let spurious = try evaluate(some, empty, shape, [1, 1, 1], convention, labels: [1])[0]
            switch convention {
            case .medpy:
                #expect(both.dice == nil && both.hd95 == nil && both.notes == ["absent from both maps: left out of the means"])
                #expect(missed.dice == 0 && missed.hd95 == nil && spurious.dice == 0 && spurious.assd == nil)
            case .monai:
                #expect(both.dice == nil && both.hd95 == nil)
                #expect(missed.dice == 0 && missed.hd95 == nil && spurious.dice == nil)
            case .brats:
                #expect(both.dice == 1 && both.hd95 == 0)
                #expect(missed.dice == 0 && missed.hd95 == MetricConvention.bratsMissingHD95)
                #expect(spurious.dice == 0 && spurious.hd95 == MetricConvention.bratsMissingHD95)
            case .transunet:
                #expect(both.dice == 0 && both.hd95 == 0)
                #expect(missed.dice == 0 && missed.hd95 == 0)
                #expect(spurious.dice == 1 && spurious.hd95 == 0)
            }
        }
    }

    /// A label absent from both maps: left out of the means by default (nnU-Net), medpy's Dice 1 or the TransUNet
    /// scripts' 0 when asked, whatever the convention; the summary and the table say which rule was used.
    @Test func bothEmptyLabelsFollowTheChosenRule() throws {
        let shape = [8, 8, 8]
        let some = Self.box(shape, [2, 2, 2], [4, 4, 4])
        for convention in MetricConvention.allCases {
            for rule in BothEmptyRule.allCases {
                let options = MetricOptions(convention: convention, labels: [1, 5], bothEmpty: rule)
                let m = try LabelMapEvaluator.evaluate(prediction: some, reference: some, shape: shape, spacing: [1, 1, 1],
                                                       options: options)
                #expect(m[0].dice == 1)
                #expect(m[1].dice == [BothEmptyRule.skip: nil, .perfect: 1, .zero: 0][rule]!, "\(convention) \(rule)")
                let cases = [CaseMetrics(caseID: "a", predictionFile: "p", referenceFile: "r", labels: m)]
                let summary = MetricsSummary(cases: cases)
                #expect(summary.foregroundMean("dice") == (rule == .skip ? 1 : rule == .perfect ? 1 : 0.5))
                #expect(MetricsReport.summary(cases, summary, options: options)["both_empty"] as? String == rule.rawValue)
                #expect(MetricsReport.paperTable(summary, options: options).contains(rule == .skip ? "left out of the means" : "--both-empty \(rule.rawValue)"))
            }
        }
    }

    @Test func labelsDefaultToThosePresentInEither() throws {
        let shape = [8, 8, 4]
        var pred = Self.box(shape, [0, 0, 0], [2, 2, 2], label: 3)
        let gt = Self.box(shape, [4, 4, 1], [6, 6, 3], label: 7)
        pred[63] = 7
        let m = try evaluate(pred, gt, shape, [1, 1, 1])
        #expect(m.map(\.label) == [3, 7])
    }

    @Test func nonLabelValuesAreRefused() {
        #expect(throws: (any Error).self) { try evaluate([0.5], [0], [1, 1, 1], [1, 1, 1]) }
    }

    @Test func perSliceMetricsAreTwoDimensional() throws {
        let shape = [12, 12, 3]
        let a = Self.box(shape, [2, 2, 0], [6, 6, 3]), b = Self.box(shape, [3, 2, 0], [7, 6, 3])
        let rows = try LabelMapEvaluator.evaluatePerSlice(prediction: a, reference: b, shape: shape, spacing: [0.5, 1, 9],
                                                          options: MetricOptions())
        #expect(rows.map(\.slice) == [0, 1, 2])
        for row in rows {
            #expect(abs(row.metrics.hd! - 0.5) < 1e-12, "in-plane only: slice spacing 9 mm plays no part")
            #expect(abs(row.metrics.dice! - 0.75) < 1e-12)
        }
    }
}

extension HandComputedTests {
    @Test func largeLabelValuesAreScored() throws {
        let shape = [10, 10, 10]
        let a = Self.box(shape, [1, 1, 1], [5, 5, 5], label: 300), b = Self.box(shape, [2, 1, 1], [6, 5, 5], label: 300)
        var mixed = a
        mixed[999] = 2
        let m = try evaluate(mixed, b, shape, [1, 1, 1])
        #expect(m.map(\.label) == [2, 300])
        #expect(abs(m[1].dice! - 0.75) < 1e-12 && abs(m[1].hd! - 1) < 1e-12)
        #expect(m[0].predVoxels == 1 && m[0].gtVoxels == 0)
    }
}
