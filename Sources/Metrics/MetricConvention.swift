import Foundation

/// Whose rules decide HD95 and the empty-mask cases. The distance definitions (medpy surfaces, exact Euclidean
/// distances with spacing) are shared.
public enum MetricConvention: String, Sendable, CaseIterable {
    /// medpy 0.5.2: HD95 and ASSD over the pooled distances of both directions; Dice/IoU 1 when both masks are
    /// empty, 0 when one is; surface metrics undefined (null) when either is empty.
    case medpy
    /// MONAI: HD95 = max of the two directed 95th percentiles; ASSD pooled; GT empty -> Dice NaN (ignored in means);
    /// one mask empty -> surface distances inf; both empty -> NaN.
    case monai
    /// Legacy BraTS: both empty -> Dice 1, HD95 0; exactly one empty -> Dice 0, HD95 373.13 mm (the 240x240x155
    /// diagonal); otherwise as medpy.
    case brats
    /// The Synapse papers' TransUNet code: HD95 in voxel units (no spacing); prediction non-empty and GT empty ->
    /// Dice 1, HD95 0; prediction empty -> Dice 0, HD95 0; otherwise medpy's dc and hd95.
    case transunet

    /// How this convention counts a label absent from both maps unless told otherwise: medpy and MONAI leave it out
    /// of the means (nnU-Net's rule; medpy itself would say Dice 1), BraTS counts it as perfect (the challenge's
    /// rule), the TransUNet scripts as 0.
    public var defaultBothEmpty: BothEmptyRule {
        switch self {
        case .medpy, .monai: .skip
        case .brats: .perfect
        case .transunet: .zero
        }
    }

    /// The BraTS penalty for a missing or spurious structure.
    public static let bratsMissingHD95 = 373.1287458240504
}

/// How a label absent from both the prediction and the reference is counted.
public enum BothEmptyRule: String, Sendable, CaseIterable {
    /// Reported as absent, its Dice and IoU undefined, left out of the means (nnU-Net).
    case skip
    /// Dice and IoU 1 (medpy's dc; BraTS also sets HD95 and HD to 0).
    case perfect
    /// Dice and IoU 0 (the TransUNet scripts, with HD95 0).
    case zero
}
