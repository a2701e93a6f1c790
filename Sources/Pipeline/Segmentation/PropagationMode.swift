import Foundation

/// How a 3-D box is carried from slice to slice (`--propagation`).
public enum PropagationMode: String, Sendable, CaseIterable {
    /// VolSAM's rules (the default): the reference's box from the previous mask, widened by the mask's growth from
    /// the slice before it (linear factor sqrt(area ratio), at most `growthLimit` per slice), its sides held where
    /// the mask stopped just short of them (`holdFraction`); a box that cut its
    /// structure off widened and decoded again (`BoxRefinement`); and a propagation that found its structure ends at
    /// the first empty mask instead of prompting the key box again.
    case auto
    /// CVPR24_LiteMedSAM_infer.py exactly: the previous mask's box + 3 px, the key box again after an empty mask.
    case reference

    /// The largest linear widening per slice in `auto` (measured: 1.1 keeps every label within 0.3 Dice points of
    /// the reference; no limit let a false structure grow slice by slice).
    public static let growthLimit = 1.1

    /// A side of the previous box is kept when the mask stopped within this fraction of the box's extent of it (and
    /// within `holdLimit` frame pixels), so the box does not creep inward with a model that stops a few pixels short
    /// of an edge every slice (CT liver: 26 voxels in 11 slices). Measured: 10 % kept every label within 0.9 Dice
    /// points of the reference; 15 % or a flat 8 pixels cost small organs up to 9 points.
    public static let holdFraction: Float = 0.1, holdLimit: Float = 8

    var extrapolatesGrowth: Bool { self == .auto }
    var refinesBoxes: Bool { self == .auto }
    var stopsWhenEmpty: Bool { self == .auto }
}
