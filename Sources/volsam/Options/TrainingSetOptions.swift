import ArgumentParser
import Metrics
import Pipeline

/// The training data of `finetune` and `synth`: cases, targets, exemplars, synthesis, seed, reading.
struct TrainingSetOptions: ParsableArguments {
    @Option(name: .customLong("case"), help: ArgumentHelp("A training case IMAGE:LABELMAP (repeat for more cases).", valueName: "image:labels"),
            transform: Self.casePair)
    var cases: [TrainingPair] = []

    @Option(name: .customLong("dataset"), help: ArgumentHelp("A dataset folder whose cases with a label map train (as `batch` reads it).",
                                                             valueName: "dir"))
    var datasetFolder: String?

    @OptionGroup var folder: DatasetOptions

    @Option(name: .long, help: ArgumentHelp("Label ids to learn, e.g. 1,2,4 (default: every label in the first case).", valueName: "ids"),
            transform: LabelList.argument)
    var labels: LabelList?

    @Flag(name: .long, help: "Learn the labels as one structure (BraTS whole tumour: --labels 1,2,4 --union).")
    var union = false

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Exemplar slices to choose (seeded).", valueName: "n"))
    var exemplars = 16

    @Option(name: .customLong("exemplar-list"), help: ArgumentHelp("The exemplars instead: JSON [{\"case\": 0, \"slice\": 41}, ...].",
                                                                   valueName: "file"))
    var exemplarList: String?

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Slices to synthesize from the exemplars (0: none).", valueName: "n"))
    var synthesize = 300

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Seed of every random choice.", valueName: "n"))
    var seed: UInt64 = 0

    @OptionGroup var synthesis: SynthesisOptions
    @OptionGroup var input: InputOptions
    @OptionGroup var normalization: NormalizationOptions

    func validate() throws {
        guard !cases.isEmpty || datasetFolder != nil else { throw ValidationError("give at least one --case IMAGE:LABELMAP, or --dataset DIR") }
        if union && labels == nil { throw ValidationError("--union needs --labels (the labels that form the structure)") }
        for (name, value, low, high) in [("--exemplars", exemplars, 1, 4096), ("--synthesize", synthesize, 0, 100_000)]
        where value < low || value > high {
            throw ValidationError("\(name) must be from \(low) to \(high), not \(value)")
        }
    }

    var request: TrainingSet.Request {
        var request = TrainingSet.Request()
        request.cases = cases.map { ($0.image, $0.labelMap) }
        (request.dataset, request.layout, request.channel) = (datasetFolder, folder.layout, folder.channel)
        (request.labels, request.union, request.exemplars, request.exemplarList) = (labels?.ids, union, exemplars, exemplarList)
        (request.synthesize, request.synthesis, request.seed) = (synthesize, synthesis.settings, seed)
        request.reading = ImageReading(loader: input.loader, normalization: normalization.choice)
        return request
    }

    static func casePair(_ text: String) throws -> TrainingPair {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw ValidationError("--case takes IMAGE:LABELMAP (one colon), not '\(text)'")
        }
        return TrainingPair(image: parts[0], labelMap: parts[1])
    }
}

/// One `--case` value.
struct TrainingPair: Sendable {
    let image: String, labelMap: String
}
