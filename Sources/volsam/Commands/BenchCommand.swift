import ArgumentParser
import Foundation
import Metrics
import Pipeline

/// `volsam bench`: in-process timings of VolSAM's hot paths.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time VolSAM's hot paths (tools/bench has the reference comparisons).",
        subcommands: [EngineBench.self, SegmentBench.self, IOBench.self, MetricsBench.self], defaultSubcommand: EngineBench.self)

    /// Pretty, key-sorted JSON.
    static func jsonText(_ object: [String: Any]) throws -> String { String(decoding: try MetricsReport.data(object).dropLast(), as: UTF8.self) }
}

/// `volsam bench engine` (the default of `volsam bench`): encoder and decoder speed against the machine's sgemm.
struct EngineBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine", abstract: "Time the LiteMedSAM encoder and decoder, and this machine's sgemm for scale.")

    @Option(name: .long, help: "Encoder runs timed (after one warm-up), each after an sgemm run; the best is reported.")
    var slices: Int = 5
    @Option(name: .long, help: "Decoder prompts timed.")
    var prompts: Int = 20
    @OptionGroup var model: ModelOptions
    @OptionGroup var output: JSONOption
    @Flag(name: .long, help: "Also print the time of each encoder and decoder stage.")
    var stages = false

    func validate() throws {
        guard slices >= 1, prompts >= 1 else { throw ValidationError("--slices and --prompts must be at least 1") }
    }

    func run() throws {
        var benchmark = EngineBenchmark(weights: model.weights, threads: model.applyThreads())
        (benchmark.rounds, benchmark.prompts) = (slices, prompts)
        let (r, stageTimes) = try benchmark.run(stages: stages)
        for stage in stageTimes {
            print("  " + stage.name.padding(toLength: 32, withPad: " ", startingAt: 0) + String(format: "%8.2f ms", stage.ms)
                  + (stage.perPrompt ? " per prompt (one thread each)" : ""))
        }
        print(output.json ? try Bench.jsonText(r) : EngineBenchmark.summary(r))
    }
}

/// `volsam bench segment`: `volsam segment` on a large synthetic CT, as a child process.
struct SegmentBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "segment", abstract: "Time `volsam segment` on a 512x512xN CT with 8 organs, against the encoder alone.")

    @OptionGroup var model: ModelOptions
    @OptionGroup var output: JSONOption
    @Option(name: .long, help: "Slices of the synthetic scan.")
    var slices: Int = 150
    @Option(name: .long, help: "In-plane size of the synthetic scan.")
    var size: Int = 512
    @Option(name: .long, help: "Folder for the synthetic scan and the result (default: a temporary folder, removed).")
    var folder: String?

    func validate() throws {
        guard slices >= 2, size >= 64 else { throw ValidationError("--slices must be at least 2 and --size at least 64") }
    }

    func run() throws {
        var benchmark = SegmentBenchmark(threads: model.applyThreads())
        (benchmark.slices, benchmark.size, benchmark.weights, benchmark.folder) = (slices, size, model.weights, folder)
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
        let r = try benchmark.run(executable: executable) { if !output.json { note($0) } }
        print(output.json ? try Bench.jsonText(r) : SegmentBenchmark.summary(r))
    }
}

/// `volsam bench io`: read + canonical layout + normalization of a volume, best and median of N runs.
struct IOBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "io", abstract: "Time reading, reorienting and normalizing a volume.")

    @Argument(help: "Volume to read (e.g. a 512x512x200 int16 .nii.gz).")
    var path: String
    @Option(name: .long, help: "Timed runs.")
    var runs: Int = 5
    @OptionGroup var output: JSONOption

    func run() throws {
        let r = try IOBenchmark.run(path: path, runs: runs)
        if output.json {
            var object: [String: Any] = ["best_s": r.best, "median_s": r.median, "runs": max(1, runs), "checksum": r.checksum]
            for (name, seconds) in r.stages { object[name + "_s"] = seconds }
            return print(try Bench.jsonText(object))
        }
        print(String(format: "read + reorient + normalize: best %.3f s, median %.3f s over %d runs", r.best, r.median, max(1, runs)))
        for name in ["read", "modality", "layout", "normalize"] {
            print(String(format: "  %-10@ median %.3f s", name, r.stages[name] ?? .nan))
        }
    }
}

/// `volsam bench metrics`: HD95 (with the other surface metrics) of one label of two masks, in-process.
struct MetricsBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics", abstract: "Time the surface metrics of two binary masks (file reading excluded).")

    @Argument(help: "Prediction mask.") var prediction: String
    @Argument(help: "Reference mask.") var reference: String
    @Option(name: .long, help: "Label to score.") var label: Int = 1
    @Option(name: .long, help: "Timed runs.") var runs: Int = 3
    @OptionGroup var output: JSONOption

    func run() throws {
        let r = try MetricsBenchmark.run(prediction: prediction, reference: reference, label: label, runs: runs)
        if output.json { return print(try Bench.jsonText(["hd95": r.hd95, "median_s": r.median, "best_s": r.best, "runs": r.runs])) }
        print(String(format: "hd95 %.6f mm: median %.3f s, best %.3f s over %d runs", r.hd95, r.median, r.best, r.runs))
    }
}
