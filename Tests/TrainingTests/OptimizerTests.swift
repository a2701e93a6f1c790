import Foundation
import Testing
@testable import Training

/// AdamW against torch.optim.AdamW's numbers (three steps, printed by PyTorch 2.x: lr 0.1, weight decay 0.01),
/// the learning-rate schedule's shape, and gradient clipping against clip_grad_norm_'s rule.
@Suite struct OptimizerTests {
    @Test func adamWMatchesPyTorch() {
        var optimizer = AdamW(weightDecay: 0.01)
        var p: [Float] = [1.0, -2.0, 0.5]
        let gradients: [[Float]] = [[0.5, 0.1, -3.0], [-0.25, 0.1, 2.0], [0.0, 0.3, 1.0]]
        let torch: [[Double]] = [[0.899000002, -2.097999990000001, 0.5994999996666667],
                                 [0.8714672987058463, -2.195901980010001, 0.613352552581956],
                                 [0.8500079016867623, -2.2844375392582386, 0.6064172185789314]]
        for (g, expected) in zip(gradients, torch) {
            optimizer.beginStep()
            optimizer.update("p", &p, gradient: g, learningRate: 0.1)
            for (got, want) in zip(p, expected) { #expect(abs(Double(got) - want) < 1e-6, "step \(optimizer.steps): \(got) vs \(want)") }
        }
    }

    @Test func scheduleWarmsUpThenDecaysToItsFinalFraction() {
        let schedule = LearningRateSchedule(peak: 1e-3, warmup: 10, total: 110, final: 0.05)
        #expect(abs(schedule.rate(at: 0) - 1e-4) < 1e-15)
        #expect(abs(schedule.rate(at: 9) - 1e-3) < 1e-15)
        #expect(abs(schedule.rate(at: 10) - 1e-3) < 1e-15)
        #expect(abs(schedule.rate(at: 109) - 5e-5) < 1e-12)
        let rates = (10..<110).map(schedule.rate(at:))
        #expect(zip(rates, rates.dropFirst()).allSatisfy { $0 > $1 }, "decay is monotone")
        let ratios = zip(rates, rates.dropFirst()).map { $1 / $0 }
        #expect(ratios.max()! - ratios.min()! < 1e-12, "decay is exponential")
    }

    @Test func clippingScalesTheGlobalNorm() {
        var gradients: [String: [Float]] = ["a": [3, 0], "b": [0, 4]]
        let norm = GradientClipping.clip(&gradients, maximum: 1)
        #expect(abs(norm - 5) < 1e-12)
        #expect(abs(gradients["a"]![0] - 0.6) < 1e-6 && abs(gradients["b"]![1] - 0.8) < 1e-6)
        var small: [String: [Float]] = ["a": [0.3, 0.4]]
        #expect(abs(GradientClipping.clip(&small, maximum: 1) - 0.5) < 1e-7)
        #expect(small["a"]! == [0.3, 0.4], "below the maximum nothing changes")
    }
}
