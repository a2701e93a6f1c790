import Foundation
import Tensor

/// The segmentation losses on mask logits z against a 0/1 target t (one value per pixel), each with its gradient
/// with respect to the logits: binary cross-entropy, soft Dice on sigmoid(z), and the sigmoid focal loss.
public enum SegmentationLoss {
    /// mean over pixels of max(z, 0) - z t + log(1 + exp(-|z|)) (BCEWithLogitsLoss); d/dz = (sigmoid(z) - t) / n.
    public static func crossEntropy<S: TrainingScalar>(logits z: [S], target t: [S]) -> (loss: S, gradient: [S]) {
        precondition(z.count == t.count && !z.isEmpty)
        let n = S(z.count)
        var loss: S = 0
        var gradient = [S](repeating: 0, count: z.count)
        for i in z.indices {
            loss += max(z[i], 0) - z[i] * t[i] + S.log(1 + S.exp(-abs(z[i])))
            gradient[i] = (sigmoid(z[i]) - t[i]) / n
        }
        return (loss / n, gradient)
    }

    /// 1 - (2 sum(p t) + smooth) / (sum(p^a) + sum(t^a) + smooth), p = sigmoid(z), a = 2 when `squared` (MONAI's
    /// DiceLoss(sigmoid=True, squared_pred=...), smooth 1e-5 above and below).
    public static func dice<S: TrainingScalar>(logits z: [S], target t: [S], squared: Bool = false,
                                               smooth: S = 1e-5) -> (loss: S, gradient: [S]) {
        precondition(z.count == t.count && !z.isEmpty)
        let p = z.map(sigmoid)
        var intersection: S = 0, denominator = smooth
        for i in p.indices {
            intersection += p[i] * t[i]
            denominator += squared ? p[i] * p[i] + t[i] * t[i] : p[i] + t[i]
        }
        let numerator = 2 * intersection + smooth
        let gradient = p.indices.map { i -> S in
            let dDenominator = squared ? 2 * p[i] : 1
            let dp = -(2 * t[i] * denominator - numerator * dDenominator) / (denominator * denominator)
            return dp * p[i] * (1 - p[i])
        }
        return (1 - numerator / denominator, gradient)
    }

    /// The sigmoid focal loss (torchvision's sigmoid_focal_loss, mean): alpha_t (1 - p_t)^gamma CE(z, t).
    public static func focal<S: TrainingScalar>(logits z: [S], target t: [S], alpha: S = 0.25,
                                                gamma: S = 2) -> (loss: S, gradient: [S]) {
        precondition(z.count == t.count && !z.isEmpty)
        let n = S(z.count)
        var loss: S = 0
        var gradient = [S](repeating: 0, count: z.count)
        for i in z.indices {
            let p = sigmoid(z[i])
            let ce = max(z[i], 0) - z[i] * t[i] + S.log(1 + S.exp(-abs(z[i])))
            let pt = p * t[i] + (1 - p) * (1 - t[i])
            let at = alpha * t[i] + (1 - alpha) * (1 - t[i])
            let modulating = S.pow(1 - pt, gamma)
            loss += at * modulating * ce
            // d/dz: dce/dz = p - t; dpt/dz = (2t - 1) p (1 - p); d(1 - pt)^gamma/dz = -gamma (1 - pt)^(gamma - 1) dpt/dz
            let dpt = (2 * t[i] - 1) * p * (1 - p)
            let dModulating = 1 - pt > 0 ? -gamma * S.pow(1 - pt, gamma - 1) * dpt : 0
            gradient[i] = at * (modulating * (p - t[i]) + ce * dModulating) / n
        }
        return (loss / n, gradient)
    }

    @inlinable
    static func sigmoid<S: TrainingScalar>(_ x: S) -> S { x >= 0 ? 1 / (1 + S.exp(-x)) : S.exp(x) / (1 + S.exp(x)) }
}
