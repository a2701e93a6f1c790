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
            out["series"] = series.map(Self.object)
        }
        return out
    }

    public func json() throws -> String { try Self.jsonText(dictionary()) }

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
                    ? "  (volume \(volume.source.volumeIndex) of \(volume.source.volumeCount)" + (volume.source.volumeIndex == 0 ? "; choose with --volume N)" : ")") : ""),
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
                lines.append(Self.line(item, chosen: item.uid == volume.source.seriesUID))
            }
        }
        return lines.joined(separator: "\n")
    }

    private func mean() -> Double {
        var sum = 0.0
        for v in volume.voxels { sum += Double(v) }
        return volume.voxels.isEmpty ? 0 : sum / Double(volume.voxels.count)
    }

    /// One series as JSON (`uid` "none" stands for files without a SeriesInstanceUID).
    static func object(_ item: DICOMSeriesInfo) -> [String: Any] {
        ["uid": item.uid, "description": item.description, "modality": item.modality, "number": item.seriesNumber,
         "files": item.fileCount, "rows": item.rows, "columns": item.columns, "has_uid": item.uid != DICOMSeriesInfo.missingUID]
    }

    /// One series as a text line (`*` marks the one read).
    static func line(_ item: DICOMSeriesInfo, chosen: Bool) -> String {
        let uid = item.uid == DICOMSeriesInfo.missingUID ? "none (files without a SeriesInstanceUID)" : item.uid
        return "  \(chosen ? "*" : " ") \(uid)  #\(item.seriesNumber) \(item.modality) \(item.columns)x\(item.rows)x\(item.fileCount) \(item.description)"
    }

    /// A folder holding several series, none chosen: the list, and how to choose (text and JSON).
    public static func seriesListing(path: String, series: [DICOMSeriesInfo]) -> (text: String, object: [String: Any]) {
        let advice = "choose one with --series UID (--series none for files without a SeriesInstanceUID) to describe it"
        let text = (["\(path): a DICOM folder with \(series.count) series; \(advice)"] + series.map { line($0, chosen: false) })
        return (text.joined(separator: "\n"), ["path": path, "format": "DICOM", "series": series.map(object), "note": advice])
    }

    /// What `volsam info PATH` prints (text, and the `--json` text): the volume read with `options`, or, for a DICOM
    /// folder of several series and no series chosen, the list of series and how to choose one.
    public static func describe(path: String, options: VolumeLoader.Options, note: (String) -> Void) throws -> (text: String, json: String) {
        if options.seriesUID == nil, VolumeLoader.isDICOMFolder(path) {
            let series = try DICOMSeriesReader.listSeries(path: path)
            if series.count > 1 {
                let listing = seriesListing(path: path, series: series)
                return (listing.text, try jsonText(listing.object))
            }
        }
        let volume = try VolumeLoader.load(path: path, options: options)
        VolumeLoader.notes(for: volume).forEach(note)
        let description = VolumeDescription(volume: volume,
                                            series: volume.source.format == "DICOM" ? try DICOMSeriesReader.listSeries(path: path) : [])
        return (description.text(), try description.json())
    }

    static func jsonText(_ object: [String: Any]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]), as: UTF8.self)
    }
}
