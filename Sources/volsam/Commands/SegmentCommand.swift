import ArgumentParser
import Foundation
import Metrics
import Pipeline

/// `volsam segment`: a whole CT/MRI scan (NIfTI or DICOM) to a label map on the input's grid, from prompts.
struct Segment: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Segment a scan from boxes, points or a label map's prompts (LiteMedSAM, 3-D box propagation).",
        discussion: """
        A 3-D box is segmented from its middle slice int((k1 - k0) / 2 + k0) with the box, then slice by slice up \
        and down, each slice prompted with the box of the previous slice's mask (+3 px). With --propagation auto \
        (the default) that box first grows with the mask (at most 10 % per slice), a box the mask fills to a side \
        is widened and the slice decoded again (kept unless the new mask grew too much or took in pixels unlike \
        it), and a structure ends at its first empty slice; --propagation reference is the LiteMedSAM 3-D protocol exactly (the key box again after \
        an empty mask). Slices are axial slices of the LPS processing layout; voxel indices in \
        prompts are those of the input file. Every slice is encoded once for all labels; where labels overlap, the \
        higher logit wins. Writes OUT.labels.json (label names) and OUT.run.json (provenance) beside the label map.
        """)

    @Argument(help: "A NIfTI file or DICOM folder.")
    var image: String

    @Option(name: .shortAndLong, help: "Label map to write (.nii.gz or .nii), on the input's grid and header.")
    var output: String

    @OptionGroup var prompts: PromptOptions

    @Option(name: .long, help: "Reference label map to score against (implied by --prompts-from).")
    var gt: String?

    @Option(name: .long, help: "Also write the foreground probability (sigmoid of the winning logit; 0 where --keep-largest removed a voxel) as float32 NIfTI.")
    var probabilities: String?

    @Option(name: .long, help: "Also write one binary mask per label into this folder.")
    var split: String?

    @Flag(name: .long, help: "Keep only the largest 6-connected 3-D component of each label.")
    var keepLargest = false

    @Option(name: .long, help: "Write per-label volume (mm3) and intensity statistics as JSON to this file.")
    var stats: String?

    @Option(name: .long, help: ArgumentHelp("Write an HTML report into this folder: index.html (labels, volumes, Dice/HD95 with --gt) and montage.png.", valueName: "dir"))
    var report: String?

    @OptionGroup var convention: ConventionOption
    @OptionGroup var printing: ReportOptions
    @OptionGroup var engine: EngineOptions
    @OptionGroup var input: InputOptions
    @OptionGroup var normalization: NormalizationOptions

    func validate() throws {
        for (name, path) in [("-o", output), ("--probabilities", probabilities)] {
            if let path, !(path.hasSuffix(".nii.gz") || path.hasSuffix(".nii")) {
                throw ValidationError("\(name) must end in .nii.gz or .nii, not '\(path)'")
            }
        }
    }

    func run() throws {
        let request = try prompts.request()
        let reference = gt ?? prompts.promptsFrom
        let runner = CaseRunner(engine: engine.settings(), reading: ImageReading(loader: input.loader, normalization: normalization.choice))
        var bar: ProgressBar?
        let observer = CaseObserver(note: note, segmenting: { [printing] planned, labels in
            bar = ProgressBar(total: planned, unit: "slices encoded for \(labels) label\(labels == 1 ? "" : "s")",
                              quiet: printing.quiet || printing.json)
        }, progress: { _ in bar?.advance() })
        let outputs = CaseOutputs(labelMap: output, probabilities: probabilities, split: split, stats: stats,
                                  keepLargest: keepLargest, report: report)
        var caseRequest = CaseRequest(image: image, prompts: { try request.collect(volume: $0, grid: $1, note: note) },
                                      reference: reference, metrics: convention.options, outputs: outputs)
        caseRequest.otherInputs = [(prompts.prompts, "the prompts file"), (prompts.labelNames, "the label names")].compactMap { path, role in path.map { .init($0, role) } }
        let result = try runner.run(caseRequest, recording: CommandLine.arguments, observer: observer)
        if printing.json { return FileHandle.standardOutput.write(try MetricsReport.data(result.object())) }
        print(result.text(referenceName: reference, keptLargest: keepLargest, convention: convention.convention))
    }
}
