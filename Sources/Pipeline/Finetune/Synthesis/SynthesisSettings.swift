import Foundation

/// The ranges of Cheap Lunch's exemplar synthesis, each drawn uniformly per synthesized slice (seeded): structures
/// and backgrounds are scaled, rotated, flipped and shifted in intensity; structures are blurred and moved.
public struct SynthesisSettings: Sendable, Equatable {
    /// Structure scale factor (about its centroid).
    public var scale: ClosedRange<Double> = 0.75...1.25
    /// Structure rotation, degrees either way; the background turns by up to half of it.
    public var rotationDegrees = 20.0
    /// Chance of a horizontal flip (structure and background independently).
    public var flipProbability = 0.5
    /// Gaussian blur sigma of the structure, pixels.
    public var blurSigma: ClosedRange<Double> = 0...1
    /// Intensity v -> v * scale + shift (images in [0, 1]), drawn for structure and background independently.
    public var intensityScale: ClosedRange<Double> = 0.9...1.1
    public var intensityShift: ClosedRange<Double> = -0.05...0.05
    /// Gamma of the whole synthesized slice, v -> v^gamma, drawn after the structures are pasted.
    public var gamma: ClosedRange<Double> = 1...1
    /// Zoom of the whole synthesized slice about its centre (image and masks together; below 1 the field of view
    /// grows and the border is air), drawn last.
    public var zoom: ClosedRange<Double> = 1...1
    /// Largest move of a structure from its exemplar position, as a fraction of the slice's width and height.
    public var positionJitter = 0.1
    /// Background scale factor (about the slice centre).
    public var backgroundScale: ClosedRange<Double> = 0.9...1.1

    public init() {}

    /// A one-line summary for run records.
    public var summary: String {
        String(format: "scale %.2f-%.2f, rotation ±%.0f°, flip %.2f, blur σ %.1f-%.1f, intensity ×%.2f-%.2f %+.2f..%+.2f, gamma %.2f-%.2f, "
               + "jitter %.2f, background scale %.2f-%.2f, zoom %.2f-%.2f", scale.lowerBound, scale.upperBound, rotationDegrees, flipProbability,
               blurSigma.lowerBound, blurSigma.upperBound, intensityScale.lowerBound, intensityScale.upperBound, intensityShift.lowerBound,
               intensityShift.upperBound, gamma.lowerBound, gamma.upperBound, positionJitter, backgroundScale.lowerBound, backgroundScale.upperBound,
               zoom.lowerBound, zoom.upperBound)
    }
}
