import Foundation
import Volume

/// What `finetune` learns from and `synth` writes: the training cases read and normalized, the exemplar slices
/// (chosen, seeded, or named in a list) and the synthesizer that makes more slices from them.
public struct TrainingSet: Sendable {
    /// The cases, targets, exemplars and synthesis asked for.
    public struct Request: Sendable {
        /// (image, label map) pairs.
        public var cases: [(image: String, labelMap: String)] = []
        /// A dataset folder (as `batch` reads it) whose cases with a label map join `cases`.
        public var dataset: String?
        public var layout: DatasetLayout?
        public var channel = "flair"
        public var labels: [Int]?
        public var union = false
        public var exemplars = 16
        /// Exemplars named by the user instead of chosen (ExemplarList).
        public var exemplarList: String?
        public var synthesize = 0
        public var synthesis = SynthesisSettings()
        /// Seed of the exemplar choice and the synthesis.
        public var seed: UInt64 = 0
        public var reading = ImageReading()

        public init() {}

        /// `cases`, then the dataset's cases that have a label map (sorted by id).
        public func resolvedCases() throws -> [(image: String, labelMap: String)] {
            guard let dataset else { return cases }
            let found = try (layout ?? DatasetLayout.detect(dataset)).cases(in: dataset, channel: channel)
            let labelled = found.compactMap { c in c.reference.map { (image: c.image, labelMap: $0) } }
            guard !labelled.isEmpty else { throw VolumeError(dataset, "none of its \(found.count) cases has a label map to train on") }
            return cases + labelled
        }

        /// What outputs must not touch: every file read (with `extra`), and for a dataset its folder and the folders
        /// of its files.
        public func protection(extra: [InputProtection.Input]) throws -> InputProtection {
            let pairs = try resolvedCases()
            let files = pairs.flatMap { [InputProtection.Input($0.image, "a training image"), .init($0.labelMap, "a training label map")] }
                + (exemplarList.map { [InputProtection.Input($0, "the exemplar list")] } ?? [])
            guard let dataset else { return InputProtection(inputs: files + extra) }
            let folders = pairs.flatMap { [$0.image, $0.labelMap] }
                .map { InputProtection.Input(($0 as NSString).deletingLastPathComponent, "an input folder of the dataset") }
            return InputProtection(inputs: files + extra, folders: folders, exactFolders: [.init(dataset, "the dataset folder")])
        }
    }

    public let request: Request
    /// The (image, label map) pairs read, the dataset's included.
    public let pairs: [(image: String, labelMap: String)]
    public let cases: [TrainingCase]
    public let exemplars: [Exemplar]
    public let synthesizer: ExemplarSynthesizer

    public init(_ request: Request, note: (String) -> Void) throws {
        self.request = request
        pairs = try request.resolvedCases()
        let cases = try pairs.map {
            try TrainingCase(image: $0.image, labelMap: $0.labelMap, reading: request.reading, labels: request.labels,
                             union: request.union, note: note)
        }
        let exemplars = try request.exemplarList.map { try ExemplarList.read($0, cases: cases) }
            ?? ExemplarSelection.select(request.exemplars, from: cases, seed: request.seed)
        (self.cases, self.exemplars) = (cases, exemplars)
        guard !exemplars.isEmpty else {
            throw VolumeError(pairs[0].labelMap, "no slice where a target covers \(ExemplarSelection.minimumArea) pixels")
        }
        synthesizer = ExemplarSynthesizer(cases: cases, exemplars: exemplars, settings: request.synthesis, seed: request.seed)
        if request.synthesize > 0, !synthesizer.fallbackCases.isEmpty {
            note("cases \(synthesizer.fallbackCases) have no slice free of the targets: their exemplars are synthesized on themselves")
        }
    }

    /// The target names (label ids, or ids joined by + for a union).
    public var targets: [String] { cases.first?.targets.map(\.name) ?? [] }

    /// Exemplars first, then the synthesized slices.
    public var count: Int { exemplars.count + request.synthesize }

    /// Slice i of the set (exemplar i, or synthesized slice i - exemplars).
    public func slice(_ i: Int) -> TrainingSlice {
        i < exemplars.count ? TrainingSlice(exemplars[i], cases: cases) : synthesizer.slice(i - exemplars.count)
    }
}
