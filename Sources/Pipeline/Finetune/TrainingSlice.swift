import Foundation
import Imaging

/// A slice to learn from: a normalized image ([0, 1]) and one mask per target, from an exemplar or synthesized.
public struct TrainingSlice: Sendable {
    public let image: ImageSlice
    public let masks: [[Bool]]
    /// Where it came from ("case 0 slice 41", "synthesized from case 0 slice 41 on case 0 slice 3").
    public let origin: String

    public init(image: ImageSlice, masks: [[Bool]], origin: String) {
        precondition(masks.allSatisfy { $0.count == image.pixels.count }, "masks must fill the image")
        (self.image, self.masks, self.origin) = (image, masks, origin)
    }

    /// Pixels of target t.
    public func area(_ t: Int) -> Int { masks[t].reduce(0) { $0 + ($1 ? 1 : 0) } }

    /// An exemplar slice of a training case.
    public init(_ exemplar: Exemplar, cases: [TrainingCase]) {
        let trainingCase = cases[exemplar.caseIndex]
        self.init(image: trainingCase.volume.slice(exemplar.slice),
                  masks: trainingCase.targets.indices.map { trainingCase.mask(target: $0, slice: exemplar.slice) },
                  origin: "case \(exemplar.caseIndex) slice \(exemplar.slice)")
    }
}
