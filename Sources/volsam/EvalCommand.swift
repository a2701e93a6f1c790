import ArgumentParser
import Foundation
import Metrics
import Volume

/// `volsam eval`: Dice, IoU, HD95, HD, ASSD, ASD and NSD of predictions against references (one pair or two folders).
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score predicted label maps against references (a pair of files, or two folders of cases).",
        discussion: """
        Conventions: medpy (default; medpy 0.5.2: pooled HD95 and ASSD, null when a mask is empty), monai (HD95 = max \
        of the directed 95th percentiles; empty GT -> Dice NaN, one empty -> inf), brats (both empty: Dice 1, HD95 0; \
        one empty: Dice 0, HD95 373.13), transunet (HD95 in voxels; pred without GT: Dice 1, HD95 0; empty pred: 0, 0). \
        Undefined values are null in JSON, empty in CSV, n/a in tables, and skipped (and counted) in means.
        """)

    @Argument(help: "Prediction: a label map, or a folder of them.")
    var prediction: String

    @Argument(help: "Reference: a label map, or a folder of them.")
    var reference: String

    @Option(name: .long, help: "Labels to score, e.g. 1,2,3 (default: every label present in either map).")
    var labels: String?

    @Option(name: .long, help: "JSON file mapping label ids to names, e.g. {\"1\": \"spleen\"}.")
    var labelNames: String?

    @Option(name: .long, help: "medpy, monai, brats or transunet.")
    var convention: String = "medpy"

    @Option(name: .long, help: "NSD tolerance in mm (voxels in the transunet convention).")
    var nsdTol: Double = 1.0

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    @Flag(name: .long, help: "Also score every axial slice in 2-D (pair: per-slice rows in the output; folders: metrics_per_slice.csv).")
    var perSlice = false

    @OptionGroup var folders: FolderOptions

    func run() throws {
        let options = try metricOptions()
        var isDirectory: ObjCBool = false
        let predIsFolder = FileManager.default.fileExists(atPath: prediction, isDirectory: &isDirectory) && isDirectory.boolValue
        let gtIsFolder = FileManager.default.fileExists(atPath: reference, isDirectory: &isDirectory) && isDirectory.boolValue
        if predIsFolder != gtIsFolder, VolumeLoader.isNIfTIPath(prediction) || VolumeLoader.isNIfTIPath(reference) {
            throw ValidationError("give two files or two folders")
        }
        if predIsFolder && gtIsFolder && !(isDICOMFolder(prediction) || isDICOMFolder(reference)) {
            try FolderEvaluation(prediction: prediction, reference: reference, options: options, folders: folders,
                                 json: json, perSlice: perSlice).run()
            return
        }
        try evaluatePair(options: options)
    }

    private func evaluatePair(options: MetricOptions) throws {
        let pred = try VolumeLoader.load(path: prediction), gt = try VolumeLoader.load(path: reference)
        try CaseEvaluation.checkSameGrid(pred, gt, predictionPath: prediction)
        let metrics = try CaseEvaluation.evaluate(prediction: pred, reference: gt, options: options)
        let slices = perSlice ? try CaseEvaluation.evaluatePerSlice(prediction: pred, reference: gt, options: options) : []
        let unit = options.convention == .transunet ? "voxels" : "mm"
        if json {
            var out: [String: Any] = [
                "prediction": prediction, "reference": reference, "convention": options.convention.rawValue,
                "nsd_tolerance": options.nsdTolerance, "distance_unit": unit,
                "spacing": [pred.spacing.x, pred.spacing.y, pred.spacing.z], "labels": metrics.map(MetricsReport.object),
            ]
            if perSlice {
                out["slices"] = slices.map { row in MetricsReport.object(row.metrics).merging(["slice": row.slice]) { $1 } }
            }
            FileHandle.standardOutput.write(try MetricsReport.data(out))
        } else {
            print("\(prediction) vs \(reference) (\(options.convention.rawValue) convention, NSD at \(options.nsdTolerance) \(unit))")
            print(MetricsReport.caseTable(metrics, hd95Unit: unit))
            if perSlice {
                print("\nPer axial slice (processing layout):")
                for row in slices {
                    let f = { (v: Double?) in v.map { String(format: "%.4f", $0) } ?? "n/a" }
                    print("slice \(row.slice) label \(row.metrics.label): Dice \(f(row.metrics.dice)), HD95 \(f(row.metrics.hd95))")
                }
            }
        }
    }

    private func isDICOMFolder(_ path: String) -> Bool {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return !names.contains { VolumeLoader.isNIfTIPath($0) }
    }

    func metricOptions() throws -> MetricOptions {
        guard let chosen = MetricConvention(rawValue: convention) else {
            throw ValidationError("--convention must be one of \(MetricConvention.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard nsdTol > 0 else { throw ValidationError("--nsd-tol must be positive") }
        var options = MetricOptions(convention: chosen, nsdTolerance: nsdTol)
        if let labels {
            let parsed = labels.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !parsed.isEmpty, parsed.allSatisfy({ $0 != nil && $0! > 0 }) else {
                throw ValidationError("--labels takes positive integers like 1,2,3, not '\(labels)'")
            }
            options.labels = parsed.map { $0! }
        }
        if let labelNames { options.labelNames = try Self.readNames(labelNames) }
        return options
    }

    static func readNames(_ path: String) throws -> [Int: String] {
        guard let data = FileManager.default.contents(atPath: path) else { throw VolumeError(path, "cannot read the label names") }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw VolumeError(path, "label names must be a JSON object like {\"1\": \"spleen\"}")
        }
        var names: [Int: String] = [:]
        for (key, value) in object {
            guard let label = Int(key), let name = value as? String else {
                throw VolumeError(path, "entry \"\(key)\" is not a label id mapped to a name")
            }
            names[label] = name
        }
        return names
    }
}

/// How folder mode matches prediction and reference files.
struct FolderOptions: ParsableArguments {
    @Option(name: .long, help: "Prefix removed from prediction file names to get the case id.")
    var predPrefix: String = ""
    @Option(name: .long, help: "Suffix (before .nii/.nii.gz) removed from prediction names, e.g. _pred.")
    var predSuffix: String = ""
    @Option(name: .long, help: "Prefix removed from reference file names.")
    var gtPrefix: String = ""
    @Option(name: .long, help: "Suffix removed from reference names, e.g. _seg.")
    var gtSuffix: String = ""
    @Option(name: .shortAndLong, help: "Folder for metrics.csv and summary.json (default: the prediction folder).")
    var output: String?
    @Flag(name: .long, help: "No progress bar.")
    var quiet = false
}
