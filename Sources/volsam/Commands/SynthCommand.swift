import ArgumentParser
import Foundation
import Pipeline
import Volume

/// `volsam synth`: the exemplars and slices synthesized from them, written as NIfTI stacks to look at.
struct Synth: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the exemplar slices and slices synthesized from them (as `finetune --synthesize` makes them) as NIfTI.",
        discussion: """
        Same cases, exemplars, synthesis ranges and seed as `finetune` gives the same slices. Writes \
        OUT/images.nii.gz (normalized to [0, 1]), OUT/labels.nii.gz and OUT/slices.json (the origin of every \
        slice); exemplars come first.
        """)

    @OptionGroup var data: TrainingSetOptions

    @Option(name: .shortAndLong, help: ArgumentHelp("The output folder (created when its parent exists).", valueName: "dir"))
    var output: String

    @Flag(name: .shortAndLong, help: "No progress bar.")
    var quiet = false

    func run() throws {
        let request = data.request
        try request.protection(extra: []).check(outputs: [output] + SynthesisExport.files(in: output))
        try AtomicOutput.createFolder(output)
        let set = try TrainingSet(request, note: note)
        let bar = ProgressBar(total: set.count, unit: "slices", quiet: quiet)
        print(try SynthesisExport.write(set, to: output, progress: { bar.advance() }).text)
    }
}
