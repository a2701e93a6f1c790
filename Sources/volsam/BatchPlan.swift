import ArgumentParser
import Foundation
import Metrics
import Pipeline
import Volume

/// What a batch does for every case: the dataset's cases, targets, prompts, normalization and metrics.
struct BatchPlan {
    let layout: DatasetLayout
    let cases: [DatasetCase]
    let prompts: BatchPrompts
    let normalization: NormalizationOptions
    let metricOptions: MetricOptions
    /// The papers' column order for the table.
    let columns: [Int]

    init(layout: DatasetLayout, dataset: String, channel: String, targets: String, labels: String?, strategy: String,
         seed: UInt64, promptsDir: String?, normalization: NormalizationOptions, convention: MetricConvention) throws {
        self.layout = layout
        do {
            cases = try layout.cases(in: dataset, channel: channel)
        } catch let e as PromptError { throw ValidationError(e.message) }
        var names: [Int: String] = [:]
        var normalization = normalization
        var regions: [TumourRegion]?
        switch layout {
        case .brats2021, .brats2023:
            do {
                regions = try TumourRegion.regions(enhancingLabel: layout == .brats2021 ? 4 : 3,
                                                   names: targets.split(separator: ",").map(String.init))
            } catch let e as PromptError { throw ValidationError(e.message) }
            if normalization.modality == nil { normalization.modality = "mr" }
        case .synapse:
            names = DatasetLabels.synapseOrgans
            if normalization.modality == nil { normalization.modality = "ct" }
        case .msd:
            let info = try DatasetLabels.msd(dataset + "/dataset.json")
            names = info.labels
            if normalization.modality == nil, let m = info.modality { normalization.modality = m.uppercased() == "CT" ? "ct" : "mr" }
        }
        if let labels {
            guard regions == nil else { throw ValidationError("BraTS layouts take --targets, not --labels") }
            let parsed = labels.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !parsed.isEmpty, parsed.allSatisfy({ $0 != nil && $0! > 0 }) else {
                throw ValidationError("--labels takes positive integers like 1,2,3, not '\(labels)'")
            }
            names = Dictionary(uniqueKeysWithValues: parsed.map { ($0!, names[$0!] ?? "label_\($0!)") })
        }
        let chosen: PromptStrategy
        do { chosen = try PromptStrategy(parsing: strategy) } catch let e as PromptError { throw ValidationError(e.message) }
        prompts = BatchPrompts(strategy: chosen, seed: seed, labels: names, regions: regions, folder: promptsDir)
        self.normalization = normalization
        var options = MetricOptions(convention: convention)
        if regions == nil && !names.isEmpty { options.labels = names.keys.sorted() }
        options.labelNames = names
        for r in regions ?? [] { options.labelNames[r.id] = r.name }
        metricOptions = options
        columns = layout == .synapse ? DatasetLabels.synapseColumns : []
    }
}
