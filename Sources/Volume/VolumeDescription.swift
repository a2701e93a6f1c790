import Foundation

/// A volume described for people and programs (what `volsam info` prints): geometry, datatype, intensities,
/// modality with its reason, and the series of a DICOM folder.
public struct VolumeDescription {
    public let volume: Volume
    public let series: [DICOMSeriesInfo]

    public init(volume: Volume, series: [DICOMSeriesInfo] = []) {
        self.volume = volume
        self.series = series
    }

    var modality: ModalityDecision { Normalization.detectModality(volume) }

    /// Where the affine came from: the NIfTI header's sform/qform/pixdim, or ITK's geometry (DICOM, NRRD, MetaImage).
    var affineSource: String {
        switch volume.source.format {
        case "DICOM", "NRRD", "MetaImage": "\(volume.source.format) geometry (LPS converted to RAS)"
        default: volume.header.affineSource
        }
    }

    /// The `--json` object.
    public func dictionary() -> [String: Any] {
        let range = volume.range
        let reorientation = Reorientation(shape: volume.shape, affine: volume.affine)
        var out: [String: Any] = [
            "path": volume.source.path,
            "format": volume.source.format,
            "datatype": volume.source.datatype.name,
            "shape": volume.shape,
            "spacing": [volume.spacing.x, volume.spacing.y, volume.spacing.z],
            "affine": volume.affine.rows,
            "affine_source": affineSource,
            "orientation": volume.orientation.codes,
            "processing_shape": reorientation.canonicalShape,
            "min": Double(range.min),
            "max": Double(range.max),
            "mean": mean(),
            "modality": modality.modality.rawValue,
            "modality_reason": modality.reason,
            "volume_index": volume.source.volumeIndex,
            "volumes": volume.source.volumeCount,
            "non_finite_voxels": volume.source.nonFiniteCount,
            "scl_slope": volume.source.scaleSlope,
            "scl_inter": volume.source.scaleIntercept,
        ]
        if let uid = volume.source.seriesUID { out["series_uid"] = uid }
        if !series.isEmpty {
            out["series"] = series.map {
                ["uid": $0.uid, "description": $0.description, "modality": $0.modality, "number": $0.seriesNumber,
                 "files": $0.fileCount, "rows": $0.rows, "columns": $0.columns] as [String: Any]
            }
        }
        return out
    }

    public func json() throws -> String {
        let data = try JSONSerialization.data(withJSONObject: dictionary(), options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    /// The text form, one field per line.
    public func text() -> String {
        let s = volume.spacing
        let range = volume.range
        let reorientation = Reorientation(shape: volume.shape, affine: volume.affine)
        var lines = [
            "File:         \(volume.source.path)",
            "Format:       \(volume.source.format), \(volume.source.datatype.name)"
                + (volume.source.scaleSlope != 1 || volume.source.scaleIntercept != 0
                    ? String(format: " (scl_slope %g, scl_inter %g applied)", volume.source.scaleSlope,
                             volume.source.scaleIntercept) : ""),
            "Shape:        \(volume.shape.map(String.init).joined(separator: " x "))"
                + (volume.source.volumeCount > 1
                    ? "  (volume \(volume.source.volumeIndex) of \(volume.source.volumeCount); choose with --volume N)" : ""),
            String(format: "Spacing:      %.6g x %.6g x %.6g mm", s.x, s.y, s.z),
            "Orientation:  \(volume.orientation.codes)  (affine from \(affineSource))",
            "Processing:   LPS layout \(reorientation.canonicalShape.map(String.init).joined(separator: " x "))"
                + (reorientation.isIdentity ? " (no reordering)" : " (axes \(reorientation.sourceAxis), flipped \(reorientation.flipped))"),
            "Affine (voxel -> RAS mm):",
        ]
        lines += volume.affine.rows.map { "  " + $0.map { String(format: "%12.6f", $0) }.joined(separator: " ") }
        lines.append(String(format: "Intensity:    min %g, max %g, mean %.4g", range.min, range.max, mean()))
        if volume.source.format == "ANALYZE-7.5" {
            lines.append("Warning:      ANALYZE 7.5 stores no orientation; the affine is the pixdim scaling centred on the grid")
        }
        if volume.source.nonFiniteCount > 0 {
            lines.append("Warning:      \(volume.source.nonFiniteCount) NaN/inf voxels, treated as the minimum")
        }
        lines.append("Modality:     \(modality.modality.rawValue.uppercased()) (\(modality.reason))")
        if !series.isEmpty {
            lines.append("DICOM series: \(series.count)")
            for item in series {
                let mark = item.uid == volume.source.seriesUID ? "*" : " "
                lines.append("  \(mark) \(item.uid)  #\(item.seriesNumber) \(item.modality) \(item.columns)x\(item.rows)x\(item.fileCount) \(item.description)")
            }
        }
        return lines.joined(separator: "\n")
    }

    private func mean() -> Double {
        var sum = 0.0
        for v in volume.voxels { sum += Double(v) }
        return volume.voxels.isEmpty ? 0 : sum / Double(volume.voxels.count)
    }
}
