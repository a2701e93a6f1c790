import Foundation
import SAM
import Tensor
import Training
import Volume

/// `volsam finetune`: a LoRA adapter for the decoder from a few labelled slices (Cheap Lunch's recipe: exemplar
/// slices and slices synthesized from them, encoded once by the frozen encoder, the decoder trained on them with
/// boxes and points), written as ADAPTER.safetensors with its log (ADAPTER.log.csv) and provenance (ADAPTER.run.json).
public struct FinetuneRun {
    public struct Request: Sendable {
        public var data = TrainingSet.Request()
        public var prompts: TrainingPrompts = .mixed
        public var lora = LoRASettings()
        public var training = TrainingSettings()
        public var output: String

        public init(output: String) { self.output = output }
    }

    /// Hears what the user should know, the slices to encode and each one encoded, and each training step.
    public struct Observer {
        public var note: (String) -> Void
        public var encoding: (Int) -> Void
        public var encoded: () -> Void
        public var step: (TrainingStep) -> Void

        public init(note: @escaping (String) -> Void = { _ in }, encoding: @escaping (Int) -> Void = { _ in },
                    encoded: @escaping () -> Void = {}, step: @escaping (TrainingStep) -> Void = { _ in }) {
            (self.note, self.encoding, self.encoded, self.step) = (note, encoding, encoded, step)
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

    public func run(arguments: [String], observer: Observer = Observer()) throws -> FinetuneReport {
        let started = Date()
        let (logPath, recordPath) = (Self.sidecar(request.output, ".log.csv"), Self.sidecar(request.output, ".run.json"))
        try InputProtection(inputs: request.data.inputs + engine.inputs).check(outputs: [request.output, logPath, recordPath])
        for path in [request.output, logPath, recordPath] { try AtomicOutput.checkWritable(path) }
        var record = try RunRecord(arguments: arguments, engine: engine, note: observer.note)
        let set = try TrainingSet(request.data, note: observer.note)
        var report = FinetuneReport()
        (report.cases, report.targets, report.exemplars, report.synthesized) = (set.cases.count, set.targets, set.exemplars, request.data.synthesize)

        EngineThreads.set(engine.threads)
        let model = try LiteMedSAM(weights: engine.weights, spec: engine.spec)
        let encoding = Date()
        observer.encoding(set.count)
        let samples = try FinetuneSamples.make(count: set.count, slice: set.slice, model: model, prompts: request.prompts,
                                               seed: request.training.seed, progress: observer.encoded)
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
            observer.step(step)
            return true
        }
        try write(adapter: trainer.decoder, cases: set.cases)
        try AtomicOutput.write(Data((log.joined(separator: "\n") + "\n").utf8), to: logPath)
        report.seconds = Date().timeIntervalSince(started)
        report.written = [request.output, logPath, recordPath]
        record["cases"] = request.data.cases.map { ["image": $0.image, "label_map": $0.labelMap] }
        record["targets"] = report.targets
        record["exemplars"] = report.exemplars.map { ["case": $0.caseIndex, "slice": $0.slice] }
        record["synthesized"] = request.data.synthesize
        record["synthesis"] = request.data.synthesis.summary
        record["samples"] = samples.count
        record["settings"] = ["steps": request.training.steps, "batch": request.training.batch, "learning_rate": request.training.learningRate,
                              "rank": request.lora.rank, "alpha": request.lora.alpha, "prompts": request.prompts.rawValue,
                              "loss": request.training.loss.rawValue, "seed": request.training.seed] as [String: Any]
        record["final_loss"] = report.steps.last?.loss ?? NSNull()
        record["encoding_seconds"] = report.encodingSeconds
        record["training_seconds"] = report.trainingSeconds
        record["files"] = report.written
        try record.write(to: recordPath)
        return report
    }

    /// The adapter file: every LoRA factor, and metadata naming the base weights, the targets, the prompts, the
    /// normalization and the training images.
    func write(adapter decoder: PlainMaskDecoder<Float>, cases: [TrainingCase]) throws {
        let weights = try ModelWeights.locate(explicit: engine.weights, spec: engine.spec)
        let metadata = ["where": "decoder", "base": engine.spec.name, "targets": cases.first?.targets.map(\.name).joined(separator: ",") ?? "",
                        "prompts": request.prompts.rawValue,
                        HeldOutCheck.metadataKey: try cases.compactMap { try HeldOutCheck.digest($0.image) }.joined(separator: ","),
                        "normalization": Set(cases.map(\.normalization)).sorted().joined(separator: " | "),
                        "volsam_version": RunRecord.version]
        try LoRAAdapter(decoder: decoder, settings: request.lora, baseSHA256: try ModelWeights.sha256(of: weights), metadata: metadata)
            .write(to: request.output)
    }
}
