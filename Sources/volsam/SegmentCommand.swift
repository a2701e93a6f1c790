import ArgumentParser
import Foundation
import Metrics
import Pipeline
import Volume

/// `volsam segment`: a whole CT/MRI scan (NIfTI or DICOM) to a label map on the input's grid, from prompts.
struct Segment: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Segment a scan from boxes, points or a label map's prompts (LiteMedSAM, 3-D box propagation).",
        discussion: """
        A 3-D box is segmented as the LiteMedSAM reference does: its middle slice int((k1 - k0) / 2 + k0) with the \
        box, then slice by slice up and down, each slice prompted with the box of the previous slice's mask (+3 px), \
        the key box when that mask is empty. Slices are axial slices of the LPS processing layout; voxel indices in \
        prompts are those of the input file. Every slice is encoded once for all labels; where labels overlap, the \
        higher logit wins.
        """)

    @Argument(help: "A NIfTI file or DICOM folder.")
    var image: String

    @Option(name: .shortAndLong, help: "Label map to write (.nii.gz or .nii), on the input's grid and header.")
    var output: String

    @OptionGroup var prompts: PromptOptions

    @Option(name: .long, help: "Reference label map to score against (implied by --prompts-from).")
    var gt: String?

    @Option(name: .long, help: "Also write the foreground probability (sigmoid of the winning logit) as float32 NIfTI.")
    var probabilities: String?

    @Option(name: .long, help: "Also write one binary mask per label into this folder.")
    var split: String?

    @Flag(name: .long, help: "Keep only the largest 6-connected 3-D component of each label.")
    var keepLargest = false

    @Option(name: .long, help: "Write per-label volume (mm3) and intensity statistics as JSON to this file.")
    var stats: String?

    @Option(name: .long, help: "Metric convention for --gt: medpy, monai, brats or transunet.")
    var convention: String = "medpy"

    @Flag(name: .long, help: "No progress bar.")
    var quiet = false

    @Flag(name: .long, help: "Print a JSON summary.")
    var json = false

    @OptionGroup var engine: EngineOptions
    @OptionGroup var input: InputOptions
    @OptionGroup var normalization: NormalizationOptions

    func validate() throws {
        guard output.hasSuffix(".nii.gz") || output.hasSuffix(".nii") else {
            throw ValidationError("-o must end in .nii.gz or .nii, not '\(output)'")
        }
        if let probabilities, !(probabilities.hasSuffix(".nii.gz") || probabilities.hasSuffix(".nii")) {
            throw ValidationError("--probabilities must end in .nii.gz or .nii")
        }
        guard prompts.hasAny else { throw ValidationError("give prompts: --box, --point, --prompts FILE.json or --prompts-from LABELMAP") }
        _ = try PromptStrategy(parsing: prompts.strategy)
    }

    func run() throws {
        guard let convention = MetricConvention(rawValue: convention) else {
            throw ValidationError("--convention must be one of \(MetricConvention.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let reference = gt ?? prompts.promptsFrom
        let runner = CaseSegmenter(engine: engine, input: input, normalization: normalization)
        let outputs = CaseOutputs(labelMap: output, probabilities: probabilities, split: split, stats: stats, keepLargest: keepLargest)
        let report = try runner.run(image: image, prompts: { volume, grid in try prompts.collect(volume: volume, image: grid) },
                                    reference: reference, metricOptions: MetricOptions(convention: convention),
                                    outputs: outputs, quiet: quiet || json)
        if json {
            FileHandle.standardOutput.write(try MetricsReport.data(report.object()))
            return
        }
        let r = report.result
        print("\(image): \(report.modality)")
        print(String(format: "Segmented %d label%@ on %d slices: %d encoder runs, %d prompts, %.1f s (encoder %.1f s, decoder %.1f s)",
                     report.labels.count, report.labels.count == 1 ? "" : "s", r.distinctSlices, r.encodedSlices,
                     r.decodedPrompts, r.totalSeconds, r.encodeSeconds, r.decodeSeconds))
        if keepLargest { print("--keep-largest removed \(report.removedByKeepLargest) voxels") }
        for file in report.written { print("Wrote \(file)") }
        if let metrics = report.metrics, let reference {
            print("\nAgainst \(reference) (\(convention.rawValue) convention):")
            print(MetricsReport.caseTable(metrics))
        }
    }
}
