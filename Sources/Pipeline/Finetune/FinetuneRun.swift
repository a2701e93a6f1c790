import Foundation
import SAM
import Tensor
import Training
import Volume

/// `volsam finetune`: a LoRA adapter for the decoder from a few labelled slices (Cheap Lunch's recipe without the
/// synthesis: exemplar slices encoded once by the frozen encoder, the decoder trained on them with boxes and
/// points), written as ADAPTER.safetensors with its log (ADAPTER.log.csv) and provenance (ADAPTER.run.json).
public struct FinetuneRun {
    public struct Request: Sendable {
        /// (image, label map) pairs.
        public var cases: [(image: String, labelMap: String)] = []
        public var labels: [Int]?
        public var union = false
        public var exemplars = 16
        public var prompts: TrainingPrompts = .mixed
        public var lora = LoRASettings()
        public var training = TrainingSettings()
        public var reading = ImageReading()
        public var output: String

        public init(output: String) { self.output = output }
    }

    /// What a run did.
    public struct Report {
        public var targets: [String] = []
        public var cases = 0
        public var exemplars: [Exemplar] = []
        public var samples = 0
        public var steps: [TrainingStep] = []
        public var written: [String] = []
        public var encodingSeconds = 0.0, seconds = 0.0

        /// The mean loss of the first and the last (up to) 10 steps.
        public var loss: (first: Double, last: Double) {
            func mean(_ s: ArraySlice<TrainingStep>) -> Double { s.isEmpty ? .nan : s.map(\.loss).reduce(0, +) / Double(s.count) }
            return (mean(steps.prefix(10)), mean(steps.suffix(10)))
        }

        /// The summary `volsam finetune` prints.
        public var text: String {
            let trainingSeconds = steps.map(\.seconds).reduce(0, +)
            return String(format: "LoRA for %@: %d exemplar slice%@ from %d case%@, %d samples; %d steps in %.1f s (%.2f s a step; "
                          + "encoding %.1f s); loss %.4f -> %.4f (first and last 10 steps)\nwrote %@",
                          targets.joined(separator: ", "), exemplars.count, exemplars.count == 1 ? "" : "s", cases, cases == 1 ? "" : "s",
                          samples, steps.count, trainingSeconds, trainingSeconds / Double(max(1, steps.count)), encodingSeconds,
                          loss.first, loss.last, written.joined(separator: ", "))
        }

        /// The summary as JSON.
        public func object() -> [String: Any] {
            ["targets": targets, "cases": cases, "exemplars": exemplars.map { ["case": $0.caseIndex, "slice": $0.slice] },
             "samples": samples, "steps": steps.count, "loss_first": loss.first, "loss_last": loss.last,
             "encoding_seconds": encodingSeconds, "seconds": seconds, "written": written]
        }
    }

    public let request: Request
    public let engine: EngineSettings

    public init(request: Request, engine: EngineSettings) {
        (self.request, self.engine) = (request, engine)
    }

    /// The log and record files beside the adapter: ADAPTER.log.csv, ADAPTER.run.json.
    public static func sidecar(_ output: String, _ suffix: String) -> String {
        var stem = output
        if stem.hasSuffix(".safetensors") { stem.removeLast(".safetensors".count) }
        return stem + suffix
    }

    /// `note` hears what the user should know; `progress` each step (and whether to go on).
    public func run(arguments: [String], note: @escaping (String) -> Void = { _ in },
                    progress: (TrainingStep) -> Void = { _ in }) throws -> Report {
        let started = Date()
        let (logPath, recordPath) = (Self.sidecar(request.output, ".log.csv"), Self.sidecar(request.output, ".run.json"))
        let inputs = request.cases.flatMap { [InputProtection.Input($0.image, "a training image"), .init($0.labelMap, "a training label map")] }
        try InputProtection(inputs: inputs + engine.inputs)
            .check(outputs: [request.output, logPath, recordPath])
        for path in [request.output, logPath, recordPath] { try AtomicOutput.checkWritable(path) }
        var record = try RunRecord(arguments: arguments, engine: engine, note: note)
        let cases = try request.cases.map {
            try TrainingCase(image: $0.image, labelMap: $0.labelMap, reading: request.reading, labels: request.labels,
                             union: request.union, note: note)
        }
        var report = Report()
        report.cases = cases.count
        report.targets = cases.first?.targets.map(\.name) ?? []
        report.exemplars = ExemplarSelection.select(request.exemplars, from: cases, seed: request.training.seed)
        guard !report.exemplars.isEmpty else {
            throw VolumeError(request.cases[0].labelMap, "no slice where a target covers \(ExemplarSelection.minimumArea) pixels")
        }
        EngineThreads.set(engine.threads)
        let model = try LiteMedSAM(weights: engine.weights, spec: engine.spec)
        let encoding = Date()
        let samples = try FinetuneSamples.make(report.exemplars, cases: cases, model: model, prompts: request.prompts,
                                               seed: request.training.seed)
        report.encodingSeconds = Date().timeIntervalSince(encoding)
        report.samples = samples.count
        var decoder: PlainMaskDecoder<Float> = try PlainModelLoader.maskDecoder(weights: engine.weights, spec: engine.spec)
        decoder.addLoRA(request.lora)
        let pe = model.imagePositionalEncoding
        var trainer = DecoderTrainer(decoder: decoder, imagePE: Matrix(rows: pe.shape[0], columns: pe.shape[1], values: pe.data),
                                     settings: request.training)
        var log = ["step,loss,learning_rate,gradient_norm,seconds"]
        trainer.train(samples) { step in
            report.steps.append(step)
            log.append(String(format: "%d,%.6f,%.6g,%.6g,%.3f", step.step, step.loss, step.learningRate, step.gradientNorm, step.seconds))
            progress(step)
            return true
        }
        try write(adapter: trainer.decoder, cases: cases)
        try AtomicOutput.write(Data((log.joined(separator: "\n") + "\n").utf8), to: logPath)
        report.seconds = Date().timeIntervalSince(started)
        record["cases"] = request.cases.map { ["image": $0.image, "label_map": $0.labelMap] }
        record["targets"] = cases.first?.targets.map(\.name) ?? []
        record["exemplars"] = report.exemplars.map { ["case": $0.caseIndex, "slice": $0.slice] }
        record["samples"] = samples.count
        record["settings"] = ["steps": request.training.steps, "batch": request.training.batch, "learning_rate": request.training.learningRate,
                              "rank": request.lora.rank, "alpha": request.lora.alpha, "prompts": request.prompts.rawValue,
                              "loss": request.training.loss.rawValue, "seed": request.training.seed] as [String: Any]
        record["final_loss"] = report.steps.last?.loss ?? NSNull()
        report.written = [request.output, logPath, recordPath]
        record["files"] = report.written
        try record.write(to: recordPath)
        return report
    }

    /// The adapter file: every LoRA factor, and metadata naming the base weights, the targets and the normalization.
    func write(adapter decoder: PlainMaskDecoder<Float>, cases: [TrainingCase]) throws {
        let weights = try ModelWeights.locate(explicit: engine.weights, spec: engine.spec)
        let metadata = ["where": "decoder", "base": engine.spec.name, "targets": cases.first?.targets.map(\.name).joined(separator: ",") ?? "",
                        "prompts": request.prompts.rawValue,
                        HeldOutCheck.metadataKey: try cases.compactMap { try HeldOutCheck.digest($0.image) }.joined(separator: ","), "normalization": Set(cases.map(\.normalization)).sorted().joined(separator: " | "),
                        "volsam_version": RunRecord.version]
        try LoRAAdapter(decoder: decoder, settings: request.lora, baseSHA256: try ModelWeights.sha256(of: weights), metadata: metadata)
            .write(to: request.output)
    }
}
