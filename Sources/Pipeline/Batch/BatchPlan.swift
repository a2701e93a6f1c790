import Foundation
import Metrics
import Volume

/// What a batch does for every case of a dataset folder: its cases, targets, prompts, normalization and metrics.
public struct BatchPlan: Sendable {
    /// What the user asked for; `BatchPlan(_:)` checks it against the dataset.
    public struct Request: Sendable {
        public var dataset: String
        public var layout: DatasetLayout?
        /// BraTS image channel (flair, t1, t1ce, t2, or the 2023 names).
        public var channel = "flair"
        /// BraTS targets (wt, tc, et).
        public var targets = ["wt"]
        /// Labels to segment (nil: Synapse's 8 organs, MSD's dataset.json labels, or every label of each reference).
        public var labels: [Int]?
        public var strategy: PromptStrategy = .box
        public var seed: UInt64 = 0
        /// A folder of CASE.json prompt files instead of prompts from the references.
        public var promptsFolder: String?
        public var normalization = NormalizationChoice()
        /// Convention and both-empty rule of the tables.
        public var metrics = MetricOptions()

        public init(dataset: String) {
            self.dataset = dataset
        }
    }

    public let dataset: String
    public let layout: DatasetLayout
    public let cases: [DatasetCase]
    public let prompts: BatchPrompts
    public let normalization: NormalizationChoice
    public let metricOptions: MetricOptions
    /// The papers' column order for the table.
    public let columns: [Int]
    /// What the user should know about the dataset (files ignored, defaults taken).
    public private(set) var notes: [String] = []

    public init(_ request: Request) throws {
        dataset = request.dataset
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dataset, isDirectory: &isDirectory) else { throw VolumeError(dataset, "no such folder") }
        guard isDirectory.boolValue else { throw VolumeError(dataset, "is a file, not a dataset folder") }
        let layout = try request.layout ?? DatasetLayout.detect(request.dataset)
        self.layout = layout
        cases = try layout.cases(in: request.dataset, channel: request.channel)
        let orphans = layout.referencesWithoutImages(in: request.dataset, cases: cases)
        if !orphans.isEmpty {
            notes.append("\(orphans.count) label map(s) without an image ignored: \(orphans.prefix(5).joined(separator: ", "))"
                         + (orphans.count > 5 ? ", ..." : ""))
        }
        var names: [Int: String] = [:]
        var normalization = request.normalization
        var regions: [TumourRegion]?
        switch layout {
        case .brats2021, .brats2023:
            regions = try TumourRegion.regions(enhancingLabel: layout == .brats2021 ? 4 : 3, names: request.targets)
            if normalization.modality == nil { normalization.modality = ModalityDecision(modality: .mr, reason: "--modality mr") }
        case .synapse:
            names = DatasetLabels.synapseOrgans
            if normalization.modality == nil { normalization.modality = ModalityDecision(modality: .ct, reason: "--modality ct") }
        case .msd:
            let info = try DatasetLabels.msd(request.dataset + "/dataset.json")
            if info == nil {
                notes.append("\(request.dataset) has no dataset.json: every label of each reference is segmented and the modality "
                             + "is detected per image")
            }
            names = info?.labels ?? [:]
            if normalization.modality == nil, let m = info?.modality {
                let modality: Modality = m.uppercased() == "CT" ? .ct : .mr
                normalization.modality = ModalityDecision(modality: modality, reason: "--modality \(modality.rawValue)")
            }
        }
        if let labels = request.labels {
            guard regions == nil else { throw PromptError("BraTS layouts take --targets, not --labels") }
            names = Dictionary(uniqueKeysWithValues: labels.map { ($0, names[$0] ?? "label_\($0)") })
        }
        prompts = BatchPrompts(strategy: request.strategy, seed: request.seed, labels: names, regions: regions,
                               folder: request.promptsFolder)
        self.normalization = normalization
        var options = request.metrics
        if regions == nil && !names.isEmpty { options.labels = names.keys.sorted() }
        options.labelNames = names
        for r in regions ?? [] { options.labelNames[r.id] = r.name }
        metricOptions = options
        columns = layout == .synapse ? DatasetLabels.synapseColumns : []
    }
}
