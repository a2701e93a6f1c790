import Foundation

/// What the user chose for a volume's normalization: a modality (nil: detected from the volume) and a window
/// (nil: the modality's standard one).
public struct NormalizationChoice: Sendable, Equatable {
    public var modality: ModalityDecision?
    public var window: IntensityWindow?

    public init(modality: ModalityDecision? = nil, window: IntensityWindow? = nil) {
        self.modality = modality
        self.window = window
    }

    /// The modality (chosen, or detected with its reason) and the window to normalize `volume` with.
    public func decide(for volume: Volume) -> (modality: ModalityDecision, window: IntensityWindow) {
        let decision = modality ?? Normalization.detectModality(volume)
        return (decision, window ?? .standard(for: decision.modality))
    }
}
