import CDICOMBridge
import Foundation

/// One DICOM series found in a folder.
public struct DICOMSeriesInfo: Sendable, Equatable {
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
            var item = list.items[i]
            return DICOMSeriesInfo(uid: string(&item.uid), description: string(&item.description),
                                   modality: string(&item.modality), seriesNumber: Int(item.series_number),
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
        let shape = [Int(raw.size.0), Int(raw.size.1), Int(raw.size.2)]
        let count = shape.reduce(1, *)
        var voxels = [Float](UnsafeBufferPointer(start: raw.voxels, count: count))
        let nonFinite = replaceNonFinite(&voxels)
        let spacing = [raw.spacing.0, raw.spacing.1, raw.spacing.2]
        let origin = [raw.origin.0, raw.origin.1, raw.origin.2]
        var direction = [Double](repeating: 0, count: 9)
        withUnsafeBytes(of: raw.direction) { p in for i in 0..<9 { direction[i] = p.load(fromByteOffset: 8 * i, as: Double.self) } }
        var lps = Affine.identity
        for r in 0..<3 {
            for c in 0..<3 { lps[r, c] = direction[r * 3 + c] * spacing[c] }
            lps[r, 3] = origin[r]
        }
        let affine = lps.flippingXY
        var source = VolumeSource(path: path, format: "DICOM", datatype: .float32)
        source.dicomModality = string(&raw.modality)
        source.seriesUID = string(&raw.uid)
        source.seriesDescription = string(&raw.description)
        source.nonFiniteCount = nonFinite
        source.datatype = NIfTIWriter.exactDatatype(for: voxels)
        return Volume(shape: shape, affine: affine, voxels: voxels, header: .from(affine: affine), source: source)
    }

    private static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func string<T>(_ tuple: inout T) -> String {
        withUnsafeBytes(of: &tuple) { p in
            String(decoding: p.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
    }
}
