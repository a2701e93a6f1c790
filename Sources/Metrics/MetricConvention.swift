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

    /// The BraTS penalty for a missing or spurious structure.
    public static let bratsMissingHD95 = 373.1287458240504
}
