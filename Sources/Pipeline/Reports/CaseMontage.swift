import Foundation
import Metrics
import Volume

/// The picture of one written segmentation in the reports: the image read and normalized as the segmentation was,
/// per label `slicesPerLabel` axial slices through its extent cropped to the label, outlines of the label map (the
/// reference's in white when there is one) and a legend of names and volumes (of the file written).
public enum CaseMontage {
    public static let slicesPerLabel = 5
    /// The longer side of each panel in pixels.
    public static let panelSize = 112

    /// The montage PNG, its legend and the image's voxel volume. `labels`: the label map's labels and names (the
    /// reference's other labels are left out); `regions`: BraTS regions the label map paints, the reference then
    /// painted the same way so the outlines compare like with like.
    public static func make(image: String, labelMap: String, reference: String?, labels: [Int: String], regions: [TumourRegion]? = nil,
                            reading: ImageReading) throws -> (png: Data, legend: [LegendEntry], voxelMM3: Double) {
        let volume = try reading.load(image, note: { _ in })
        let preview = try SlicePreview(volume: volume, labels: labelMap, reference: reference, slice: nil, views: [],
                                       montage: slicesPerLabel, thumbnail: panelSize, names: labels,
                                       referenceValues: { value in regions.map { TumourRegion.paintValue(of: value, in: $0) } ?? (labels[value] == nil ? 0 : value) },
                                       normalization: reading.normalization)
        let rows = preview.montage?.rows ?? []
        let captions = rows.map { row in row.label.map { id in "\(id) " + (labels[id] ?? "") } ?? "" }
        let png = SliceRenderer.png(grid: rows.map(\.panels), outline: true, legend: preview.legend, captions: captions)
        return (png, preview.legend, abs(volume.spacing.x * volume.spacing.y * volume.spacing.z))
    }

    /// The labels and names of a written label map, from the OUT.labels.json beside it (empty when missing).
    public static func labels(of labelMap: String) -> [Int: String] {
        (try? LabelNames.read(SegmentationOutput.labelNamesPath(for: labelMap))) ?? [:]
    }
}
