import ArgumentParser
import Foundation
import Metrics
import Pipeline

/// Where `volsam segment` gets its prompts: boxes and points on the command line, a JSON file, or a label map.
struct PromptOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("A box LABEL:i0,j0,k0,i1,j1,k1 (inclusive voxel indices of the input file; k0 = k1: that slice only). Repeatable.", valueName: "box"))
    var box: [String] = []

    @Option(name: .long, help: ArgumentHelp("A point LABEL:i,j,k or LABEL:i,j,k,neg (voxel indices of the input file). Repeatable.", valueName: "point"))
    var point: [String] = []

    @Option(name: .long, help: "Prompts as JSON (see the README for the schema; voxel or world RAS mm coordinates).")
    var prompts: String?

    @Option(name: .long, help: "Derive prompts from this label map (same grid as the image); also scores against it.")
    var promptsFrom: String?

    @OptionGroup var labels: LabelsOption
    @OptionGroup var strategy: StrategyOptions

    @Option(name: .long, help: "JSON file mapping label ids to names, e.g. {\"1\": \"spleen\"}.")
    var labelNames: String?

    func validate() throws {
        guard !box.isEmpty || !point.isEmpty || prompts != nil || promptsFrom != nil else {
            throw ValidationError("give prompts: --box, --point, --prompts FILE.json or --prompts-from LABELMAP")
        }
        if labels.labels != nil && promptsFrom == nil { throw ValidationError("--labels selects labels of --prompts-from") }
        _ = try request()
    }

    /// The prompts, parsed, for the library (label names read from --label-names).
    func request() throws -> PromptRequest {
        var request = PromptRequest()
        do { try request.add(boxTexts: box, pointTexts: point) } catch let error as PromptError {
            throw ValidationError(error.message)
        }
        request.promptsFile = prompts
        request.labelMap = promptsFrom
        request.labels = labels.labels?.ids
        request.strategy = strategy.strategy
        request.seed = strategy.seed
        if let labelNames { request.names = try LabelNames.read(labelNames) }
        return request
    }
}
