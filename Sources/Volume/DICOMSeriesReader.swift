import CDICOMBridge
import Foundation

/// One DICOM series found in a folder.
public struct DICOMSeriesInfo: Sendable, Equatable {
    /// The UID that stands for files without a SeriesInstanceUID (choose them with `--series none`).
    public static let missingUID = "none"

    public var uid: String
    public var description: String
    public var modality: String
    public var seriesNumber: Int
    public var fileCount: Int
    public var rows: Int
    public var columns: Int
}

/// Reads DICOM series (folder, or a file inside one) through ITK/GDCM; geometry converted from LPS to NIfTI's RAS.
public enum DICOMSeriesReader {
    /// The image series in a folder.
    public static func listSeries(path: String) throws -> [DICOMSeriesInfo] {
        var list = vsd_series_list()
        var message = [CChar](repeating: 0, count: 2048)
        guard vsd_list_series(path, &list, &message, Int32(message.count)) == 0 else {
            throw VolumeError(path, text(message))
        }
        defer { vsd_free_series_list(&list) }
        return (0..<Int(list.count)).map { i in
            let item = list.items[i]
            return DICOMSeriesInfo(uid: ITKGeometry.string(item.uid), description: ITKGeometry.string(item.description),
                                   modality: ITKGeometry.string(item.modality), seriesNumber: Int(item.series_number),
                                   fileCount: Int(item.file_count), rows: Int(item.rows), columns: Int(item.columns))
        }
    }

    /// Reads one series (nil: the only one, or the one holding the named file) in rescaled units (HU for CT).
    public static func read(path: String, seriesUID: String? = nil) throws -> Volume {
        let series = try listSeries(path: path)
        if let first = series.first(where: { seriesUID == nil || $0.uid == seriesUID }) {
            let bytes = Double(first.rows * first.columns) * Double(first.fileCount) * 4
            let physical = Double(ProcessInfo.processInfo.physicalMemory)
            if bytes > physical * 0.8 {
                throw VolumeError(path, String(format: "series needs %.1f GB; the machine has %.1f GB", bytes / 1e9,
                                               physical / 1e9))
            }
        }
        var raw = vsd_volume()
        var message = [CChar](repeating: 0, count: 4096)
        guard vsd_read_series(path, seriesUID ?? "", &raw, &message, Int32(message.count)) == 0 else {
            throw VolumeError(path, text(message))
        }
        defer { vsd_free_volume(&raw) }
        var volume = ITKGeometry.volume(from: raw, path: path, format: "DICOM")
        volume.source.dicomModality = ITKGeometry.string(raw.modality)
        volume.source.seriesUID = ITKGeometry.string(raw.uid)
        volume.source.seriesDescription = ITKGeometry.string(raw.description)
        return volume
    }

    private static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
