import Foundation
import Imaging
import SAM
import Tensor
import Volume

/// Whole-scan segmentation of a large synthetic CT (the sample anatomy on a size x size x slices grid, 8 organ
/// boxes), run as a child `volsam segment` so its time and peak RSS are exactly the command's, against the
/// encoder alone on one of its slices (`volsam bench segment`).
public struct SegmentBenchmark {
    public var slices = 150, size = 512
    public var weights: String?
    public var threads: Int
    /// Where the synthetic scan and the result go (nil: a temporary folder, removed afterwards).
    public var folder: String?

    public init(threads: Int) {
        self.threads = threads
    }

    /// `executable`: the volsam binary to run `segment` with; `note` hears where the scan is written.
    public func run(executable: String, note: (String) -> Void = { _ in }) throws -> [String: Any] {
        precondition(slices >= 2 && size >= 64, "the synthetic scan needs 2 slices and 64 pixels a side")
        let work = folder ?? FileManager.default.temporaryDirectory.appendingPathComponent("volsam-bench-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { if folder == nil { try? FileManager.default.removeItem(atPath: work) } }
        // the sample anatomy's field of view (352 x 352 x 200 mm) on the requested grid
        let spacing = SIMD3(352.0 / Double(size), 352.0 / Double(size), 200.0 / Double(slices))
        note("writing a \(size)x\(size)x\(slices) synthetic CT to \(work)")
        let scan = AbdomenPhantom.make(shape: [size, size, slices], spacing: spacing)
        let image = work + "/ct.nii.gz", labels = work + "/labels.nii.gz"
        try NIfTIWriter.write(voxels: scan.image.voxels, shape: scan.image.shape, header: scan.image.header, datatype: .int16, to: image)
        try NIfTIWriter.write(voxels: scan.labels.voxels, shape: scan.labels.shape, header: scan.labels.header,
                              datatype: .uint8, to: labels, isLabelMap: true)
        let encoderMs = try encoderMilliseconds(scan.image)
        let arguments = ["segment", image, "--prompts-from", labels, "-o", work + "/seg.nii.gz", "--json", "--threads", String(threads)]
            + (weights.map { ["--weights", $0] } ?? [])
        let (seconds, peakBytes, summary) = try Self.child(executable, arguments)
        let encoded = summary["slices_encoded"] as? Int ?? 0
        return [
            "shape": [size, size, slices], "labels": 8, "threads": threads, "whole_scan_seconds": seconds,
            "slices_encoded": encoded, "slices_segmented": summary["slices_segmented"] ?? 0,
            "prompts_decoded": summary["prompts_decoded"] ?? 0, "encoder_ms_per_slice": encoderMs,
            "ratio_to_encoder_only": seconds / (encoderMs / 1000 * Double(max(1, encoded))),
            "peak_rss_mb": Double(peakBytes) / 1_048_576,
            "encoder_seconds": summary["encoder_seconds"] ?? 0, "decoder_seconds": summary["decoder_seconds"] ?? 0,
        ]
    }

    /// The figures as `volsam bench segment` prints them.
    public static func summary(_ r: [String: Any]) -> String {
        func f(_ key: String) -> Double { r[key] as? Double ?? .nan }
        let shape = r["shape"] as? [Int] ?? [0, 0, 0]
        return String(format: "%dx%dx%d CT, 8 organs, %d threads: %.1f s whole scan (%d slices encoded, %d prompts)\n", shape[0],
                      shape[1], shape[2], r["threads"] as? Int ?? 0, f("whole_scan_seconds"), r["slices_encoded"] as? Int ?? 0,
                      r["prompts_decoded"] as? Int ?? 0)
            + String(format: "encoder alone %.0f ms/slice -> ratio %.2f to (encoder x slices encoded); peak RSS %.0f MB",
                     f("encoder_ms_per_slice"), f("ratio_to_encoder_only"), f("peak_rss_mb"))
    }

    /// Median of 3 encoder runs on a middle slice of the scan, after a warm-up.
    func encoderMilliseconds(_ image: Volume) throws -> Double {
        EngineThreads.set(threads)
        let model = try LiteMedSAM(weights: weights)
        var canonical = image.canonical()
        Normalization.normalize(&canonical, window: .ctAbdomen)
        let slice = canonical.slice(canonical.sliceCount / 2)
        let prepared = PreparedSlice(ImageSlice(width: slice.width, height: slice.height, pixels: slice.pixels.map { $0 * 255 }),
                                     frame: model.spec.frameSize)
        _ = model.encode(prepared)
        let times = (0..<3).map { _ in
            let t0 = Date()
            _ = model.encode(prepared)
            return Date().timeIntervalSince(t0) * 1000
        }
        return times.sorted()[1]
    }

    /// Runs a child process to the end: its wall time, the children's peak RSS, and its stdout as a JSON object.
    static func child(_ executable: String, _ arguments: [String]) throws -> (Double, Int, [String: Any]) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        let t0 = Date()
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let seconds = Date().timeIntervalSince(t0)
        guard process.terminationStatus == 0 else {
            throw VolumeError(executable, "`segment` failed (exit \(process.terminationStatus))")
        }
        var usage = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &usage)
        let summary = (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
        return (seconds, usage.ru_maxrss * 1024, summary)
    }
}
