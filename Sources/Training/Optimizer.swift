import Foundation

/// AdamW (torch.optim.AdamW: decoupled weight decay applied before the Adam step) over named parameters; the moments
/// are kept in Float as PyTorch keeps them for float32 parameters (so a checkpoint holds them exactly), the update
/// is computed in Double.
public struct AdamW: Sendable {
    public var beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 0.01
    private var first: [String: [Float]] = [:], second: [String: [Float]] = [:]
    public private(set) var steps = 0

    public init(weightDecay: Double = 0.01) {
        self.weightDecay = weightDecay
    }

    /// The first and second moments, by name (saved with a checkpoint to resume).
    public var moments: (first: [String: [Float]], second: [String: [Float]]) { (first, second) }

    public mutating func restore(first: [String: [Float]], second: [String: [Float]], steps: Int) {
        (self.first, self.second, self.steps) = (first, second, steps)
    }

    /// Counts one step; call once per step, before `update` of each parameter.
    public mutating func beginStep() { steps += 1 }

    /// p <- p (1 - lr wd) - lr mhat / (sqrt(vhat) + eps) for one parameter.
    public mutating func update(_ name: String, _ parameter: inout [Float], gradient: [Float], learningRate lr: Double) {
        precondition(parameter.count == gradient.count, "\(name): gradient size differs")
        var m = first[name] ?? [Float](repeating: 0, count: gradient.count)
        var v = second[name] ?? [Float](repeating: 0, count: gradient.count)
        let (c1, c2) = (1 - Foundation.pow(beta1, Double(steps)), 1 - Foundation.pow(beta2, Double(steps)))
        for i in parameter.indices {
            let g = Double(gradient[i])
            let (mi, vi) = (beta1 * Double(m[i]) + (1 - beta1) * g, beta2 * Double(v[i]) + (1 - beta2) * g * g)
            (m[i], v[i]) = (Float(mi), Float(vi))
            var p = Double(parameter[i]) * (1 - lr * weightDecay)
            p -= lr * (Double(m[i]) / c1) / ((Double(v[i]) / c2).squareRoot() + epsilon)
            parameter[i] = Float(p)
        }
        first[name] = m
        second[name] = v
    }
}

/// The learning rate: linear warm-up to `peak` over `warmup` steps, then exponential decay to `peak * final` at the
/// last step (Cheap Lunch's schedule).
public struct LearningRateSchedule: Sendable, Equatable {
    public var peak: Double, warmup: Int, total: Int, final: Double

    public init(peak: Double, warmup: Int, total: Int, final: Double = 0.05) {
        (self.peak, self.warmup, self.total, self.final) = (peak, warmup, total, final)
    }

    /// The rate of step `step` (0-based).
    public func rate(at step: Int) -> Double {
        if step < warmup { return peak * Double(step + 1) / Double(warmup) }
        let decaySteps = max(1, total - warmup - 1)
        return peak * Foundation.pow(final, Double(step - warmup) / Double(decaySteps))
    }
}

/// Scales gradients so their global L2 norm is at most `maximum` (torch.nn.utils.clip_grad_norm_); returns the norm
/// before clipping.
public enum GradientClipping {
    @discardableResult
    public static func clip(_ gradients: inout [String: [Float]], maximum: Double) -> Double {
        let norm = gradients.values.reduce(0.0) { total, g in total + g.reduce(0.0) { $0 + Double($1) * Double($1) } }.squareRoot()
        guard norm > maximum, norm > 0 else { return norm }
        let factor = Float(maximum / (norm + 1e-6))
        for key in gradients.keys { gradients[key] = gradients[key]!.map { $0 * factor } }
        return norm
    }
}
