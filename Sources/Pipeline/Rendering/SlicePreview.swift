import Foundation
import Imaging
import Volume

/// Normalized views of a volume in the processing layout with an optional label overlay (what `volsam preview`
/// shows): axial, coronal and sagittal planes through the middle of the labels' extent (or the volume's middle, or
/// the chosen axial slice), each with square display pixels so the anatomy keeps its proportions.
public struct SlicePreview {
    /// One view, ready to draw.
    public struct View {
        public let plane: ViewPlane
        /// The plane's index along its axis of the processing layout.
        public let index: Int
        public let panel: Panel
    }

    /// The axial slice shown and how many there are.
    public let slice: Int, sliceCount: Int
    /// The axial view at voxel resolution (for the text rendering).
    public let image: ImageSlice
    public let overlay: ImageSlice?
    public let views: [View]
    /// With a montage count: the label rows of evenly spaced axial slices.
    public let montage: Montage?
    public let modality: ModalityDecision
    public let window: IntensityWindow
    /// Each label in the label map with its name and volume.
    public let legend: [LegendEntry]

    /// `labels` (and `reference`, a label map to compare with): on the volume's grid (or its voxel centres in another
    /// order); `slice`: an axial slice of the processing layout; `thumbnail`: the montage's panels cropped to each
    /// label and this many pixels on their longer side; `names`: the labels' names for the legend; `referenceValues`:
    /// the value each reference label is drawn as (0 leaves it out).
    public init(volume: Volume, labels: String?, reference: String? = nil, slice: Int?, views planes: [ViewPlane] = [.axial],
                montage count: Int? = nil, thumbnail: Int? = nil, names: [Int: String] = [:], referenceValues: ((Int) -> Int)? = nil,
                normalization: NormalizationChoice,
                note: (String) -> Void = { _ in }) throws {
        (modality, window) = normalization.decide(for: volume)
        let canonical = volume.canonical()
        let labelVolume = try labels.map { try ImageGrid(volume).loadAligned($0, note: note).canonical() }
        var referenceVolume = try reference.map { try ImageGrid(volume).loadAligned($0, note: note).canonical() }
        if let map = referenceValues, let r = referenceVolume { referenceVolume = r.with(voxels: r.voxels.map { Float(map(Int($0))) }) }
        sliceCount = canonical.sliceCount
        var centre = labelVolume.flatMap(Self.middleOfLabels) ?? canonical.shape.map { $0 / 2 }
        if let slice {
            guard (0..<sliceCount).contains(slice) else {
                throw VolumeError(volume.source.path, "has \(sliceCount) axial slices (0 to \(sliceCount - 1)); there is no slice \(slice)")
            }
            centre[2] = slice
        }
        self.slice = centre[2]
        let normalized = canonical.with(voxels: Normalization.normalize(canonical.voxels, window: window))
        image = normalized.slice(self.slice)
        overlay = labelVolume?.slice(self.slice)
        let spacing = normalized.spacing, pixelMM = min(spacing.x, spacing.y, spacing.z)
        montage = count.map { Montage(volume: normalized, labels: labelVolume, reference: referenceVolume, count: $0, thumbnail: thumbnail) }
        legend = labelVolume.map { LegendEntry.entries(labels: $0.voxels, voxelMM3: spacing.x * spacing.y * spacing.z, names: names) } ?? []
        views = planes.map { plane in
            let index = centre[plane.axis]
            let view = normalized.plane(plane, index: index)
            let square = { (i: ImageSlice) in SquarePixels.resample(i, columnMM: view.columnMM, rowMM: view.rowMM, pixelMM: pixelMM) }
            return View(plane: plane, index: index,
                        panel: Panel(image: square(view.image), overlay: labelVolume.map { square($0.plane(plane, index: index).image) },
                                     reference: referenceVolume.map { square($0.plane(plane, index: index).image) }))
        }
    }

    /// The middle of the labelled voxels' extent along each axis, nil when the map is empty.
    static func middleOfLabels(_ labels: CanonicalVolume) -> [Int]? {
        var lo = [Int.max, Int.max, Int.max], hi = [-1, -1, -1]
        let (w, h) = (labels.width, labels.height)
        for (i, v) in labels.voxels.enumerated() where v > 0 {
            let p = [i % w, (i / w) % h, i / (w * h)]
            for a in 0..<3 {
                lo[a] = min(lo[a], p[a])
                hi[a] = max(hi[a], p[a])
            }
        }
        guard hi[0] >= 0 else { return nil }
        return (0..<3).map { (lo[$0] + hi[$0]) / 2 }
    }
}
