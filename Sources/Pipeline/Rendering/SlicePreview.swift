import Foundation
import Imaging
import Volume

/// One normalized axial slice of the processing layout with an optional label overlay (what `volsam preview`
/// shows): the chosen slice, or the middle of the labels' extent, or the middle slice.
public struct SlicePreview {
    public let slice: Int, sliceCount: Int
    public let image: ImageSlice
    public let overlay: ImageSlice?
    public let modality: ModalityDecision
    public let window: IntensityWindow

    /// `labels`: a label map on the volume's grid (or its voxel centres in another order); `slice`: an axial slice
    /// of the processing layout.
    public init(volume: Volume, labels: String?, slice: Int?, normalization: NormalizationChoice,
                note: (String) -> Void = { _ in }) throws {
        (modality, window) = normalization.decide(for: volume)
        let canonical = volume.canonical()
        let labelVolume = try labels.map { try ImageGrid(volume).loadAligned($0, note: note).canonical() }
        sliceCount = canonical.sliceCount
        if let slice {
            guard (0..<sliceCount).contains(slice) else {
                throw VolumeError(volume.source.path, "has \(sliceCount) axial slices (0 to \(sliceCount - 1)); there is no slice \(slice)")
            }
            self.slice = slice
        } else {
            self.slice = labelVolume.flatMap(Self.middleOfLabels) ?? sliceCount / 2
        }
        image = canonical.with(voxels: Normalization.normalize(canonical.voxels, window: window)).slice(self.slice)
        overlay = labelVolume?.slice(self.slice)
    }

    /// The middle of the slices holding any label, nil when the map is empty.
    static func middleOfLabels(_ labels: CanonicalVolume) -> Int? {
        let n = labels.width * labels.height
        let occupied = (0..<labels.sliceCount).filter { k in labels.voxels[(k * n)..<((k + 1) * n)].contains { $0 > 0 } }
        guard let first = occupied.first, let last = occupied.last else { return nil }
        return (first + last) / 2
    }
}
