import ArgumentParser
import Foundation
import Imaging
import Pipeline
import SAM
import Tensor
import Volume

/// `volsam bench segment`: whole-scan segmentation of a large synthetic CT (the sample anatomy on a 512 x 512 x N
/// grid, 8 organ boxes), run as a child `volsam segment` so its time and peak RSS are exactly the command's.
struct SegmentBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "segment", abstract: "Time `volsam segment` on a 512x512xN CT with 8 organs, against the encoder alone.")

    @Option(name: .long, help: "Slices of the synthetic scan.")
    var slices: Int = 150

    @Option(name: .long, help: "In-plane size of the synthetic scan.")
    var size: Int = 512

    @OptionGroup var model: ModelOptions

    @Option(name: .long, help: "Folder for the synthetic scan and the result (default: a temporary folder, removed).")
    var folder: String?

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    func run() throws {
        guard slices >= 2, size >= 64 else { throw ValidationError("--slices >= 2 and --size >= 64") }
        let threadCount = model.applyThreads()
        let work = folder ?? FileManager.default.temporaryDirectory.appendingPathComponent("volsam-bench-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { if folder == nil { try? FileManager.default.removeItem(atPath: work) } }
        // the sample anatomy's field of view (352 x 352 x 200 mm) on the requested grid
        let spacing = SIMD3(352.0 / Double(size), 352.0 / Double(size), 200.0 / Double(slices))
        if !json { note("writing a \(size)x\(size)x\(slices) synthetic CT to \(work)") }
        let scan = AbdomenPhantom.make(shape: [size, size, slices], spacing: spacing)
        let image = work + "/ct.nii.gz", labels = work + "/labels.nii.gz"
        try NIfTIWriter.write(voxels: scan.image.voxels, shape: scan.image.shape, header: scan.image.header, datatype: .int16, to: image)
        try NIfTIWriter.write(voxels: scan.labels.voxels, shape: scan.labels.shape, header: scan.labels.header,
                              datatype: .uint8, to: labels, isLabelMap: true)
        let encoderMs = try encoderMilliseconds(scan.image)
        let (seconds, peakBytes, summary) = try runSegment(image: image, labels: labels, output: work + "/seg.nii.gz", threads: threadCount)
        let encoded = summary["slices_encoded"] as? Int ?? 0
        let ratio = seconds / (encoderMs / 1000 * Double(max(1, encoded)))
        let result: [String: Any] = [
            "shape": [size, size, slices], "labels": 8, "threads": threadCount, "whole_scan_seconds": seconds,
            "slices_encoded": encoded, "slices_segmented": summary["slices_segmented"] ?? 0,
            "prompts_decoded": summary["prompts_decoded"] ?? 0, "encoder_ms_per_slice": encoderMs,
            "ratio_to_encoder_only": ratio, "peak_rss_mb": Double(peakBytes) / 1_048_576,
            "encoder_seconds": summary["encoder_seconds"] ?? 0, "decoder_seconds": summary["decoder_seconds"] ?? 0,
        ]
        if json {
            FileHandle.standardOutput.write(try JSONSerialization.data(withJSONObject: result, options: [.prettyPrinted, .sortedKeys]))
            print()
        } else {
            print(String(format: "%dx%dx%d CT, 8 organs, %d threads: %.1f s whole scan (%d slices encoded, %d prompts)",
                         size, size, slices, threadCount, seconds, encoded, result["prompts_decoded"] as? Int ?? 0))
            print(String(format: "encoder alone %.0f ms/slice -> ratio %.2f to (encoder x slices encoded); peak RSS %.0f MB",
                         encoderMs, ratio, Double(peakBytes) / 1_048_576))
        }
    }

    /// Median of 3 encoder runs on a middle slice of the scan, after a warm-up.
    func encoderMilliseconds(_ image: Volume) throws -> Double {
        let model = try LiteMedSAM(weights: self.model.weights)
        var canonical = image.canonical()
        Normalization.normalize(&canonical, window: .ctAbdomen)
        let slice = canonical.slice(canonical.sliceCount / 2)
        let prepared = PreparedSlice(ImageSlice(width: slice.width, height: slice.height, pixels: slice.pixels.map { $0 * 255 }), frame: model.spec.frameSize)
        _ = model.encode(prepared)
        let times = (0..<3).map { _ in
            let t0 = Date()
            _ = model.encode(prepared)
            return Date().timeIntervalSince(t0) * 1000
        }
        return times.sorted()[1]
    }

    /// Runs `volsam segment --json` as a child; its wall time, peak RSS and summary.
    func runSegment(image: String, labels: String, output: String, threads: Int) throws -> (Double, Int, [String: Any]) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        process.arguments = ["segment", image, "--prompts-from", labels, "-o", output, "--json", "--threads", String(threads)]
        let out = Pipe()
        process.standardOutput = out
        let t0 = Date()
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let seconds = Date().timeIntervalSince(t0)
        guard process.terminationStatus == 0 else { throw ValidationError("volsam segment failed (exit \(process.terminationStatus))") }
        var usage = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &usage)
        let summary = (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
        return (seconds, usage.ru_maxrss * 1024, summary)
    }
}
