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
        public var method: AdaptationMethod = .lora
        /// What trains: the decoder, the encoder's last stage (LoRA only), or both.
        public var place: AdaptationPlace = .decoder
        /// The LoRA's rank, alpha and seed (method lora).
        public var lora = LoRASettings()
        public var training = TrainingSettings()
        /// Train for this many passes over the samples instead of `training.steps`.
        public var epochs: Int?
        /// Held-out slices (never exemplars) scored before training and after every epoch.
        public var validate = 0
        /// Continue from ADAPTER.checkpoint.safetensors when it exists.
        public var resume = false
        public var checkpointSeconds = 120.0
        public var output: String

        public init(output: String) { self.output = output }
    }

    /// Hears what the user should know, the slices to encode and each one encoded, the steps to run and each step,
    /// and each validation.
    public struct Observer {
        public var note: (String) -> Void = { _ in }
        public var encoding: (Int) -> Void = { _ in }
        public var encoded: () -> Void = {}
        public var training: (Int) -> Void = { _ in }
        public var step: (TrainingStep) -> Void = { _ in }
        public var validated: (ValidationScore) -> Void = { _ in }

        public init() {}
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

    /// Said when only the encoder trains: measured on BraTS (0005 -> 0006, boxes 0.2579 against the frozen 0.7859).
    static let encoderOnlyNote = "--where encoder trains the encoder's LoRA under the frozen decoder, which does not follow the changed "
        + "embedding: on held-out BraTS it cut box Dice from 0.79 (frozen) to 0.26. Use --where both to adapt the encoder"

    public func run(arguments: [String], observer: Observer = Observer()) throws -> FinetuneReport {
        let started = Date()
        let (logPath, recordPath) = (Self.sidecar(request.output, ".log.csv"), Self.sidecar(request.output, ".run.json"))
        let (validationPath, checkpointPath) = (Self.sidecar(request.output, ".validation.csv"), Self.sidecar(request.output, ".checkpoint.safetensors"))
        let pageFiles = FinetuneReportPage.files(adapter: request.output, validates: request.validate > 0)
        let outputs = [request.output, logPath, recordPath, checkpointPath] + (request.validate > 0 ? [validationPath] : []) + pageFiles
        try request.data.protection(extra: engine.inputs).check(outputs: outputs)
        for path in outputs { try AtomicOutput.checkWritable(path) }
        var record = try RunRecord(arguments: arguments, engine: engine, note: observer.note)
        if request.place == .encoder { observer.note(Self.encoderOnlyNote) }
        let set = try TrainingSet(request.data, note: observer.note)
        var report = FinetuneReport()
        (report.method, report.place) = (request.method, request.place)
        (report.cases, report.targets, report.exemplars, report.synthesized) = (set.cases.count, set.targets, set.exemplars, request.data.synthesize)

        let held = ExemplarSelection.heldOut(request.validate, from: set.cases, excluding: set.exemplars, seed: request.data.seed)
        if request.validate > held.count { observer.note("only \(held.count) slices hold a target besides the exemplars: validating on those") }
        report.validation = held

        EngineThreads.set(engine.threads)
        let model = try LiteMedSAM(weights: engine.weights, spec: engine.spec)
        let trainable = try trainableModel(imagePE: model.imagePositionalEncoding)
        let encoding = Date()
        observer.encoding(set.count + held.count)
        let samples = try FinetuneSamples.make(count: set.count, slice: set.slice, model: model, prompts: request.prompts,
                                               seed: request.training.seed, place: request.place, progress: observer.encoded)
        let validation = held.isEmpty ? nil : ValidationSet(samples: try FinetuneSamples.make(
            count: held.count, slice: { TrainingSlice(held[$0], cases: set.cases) }, model: model, prompts: request.prompts,
            seed: request.training.seed, variants: 0, place: request.place, progress: observer.encoded))
        report.encodingSeconds = Date().timeIntervalSince(encoding)
        report.samples = samples.count
        guard !samples.isEmpty else {
            throw VolumeError(set.pairs[0].labelMap, "no training sample: no target covers \(ExemplarSelection.minimumArea) pixels")
        }

        var settings = request.training
        let stepsPerEpoch = (samples.count + settings.batch - 1) / settings.batch
        if let epochs = request.epochs { settings.steps = epochs * stepsPerEpoch }
        var training = FinetuneTraining(
            trainer: AdapterTrainer(model: trainable, settings: settings), samples: samples, validation: validation,
            stepsPerEpoch: stepsPerEpoch, checkpointPath: checkpointPath, checkpointSeconds: request.checkpointSeconds,
            fingerprint: try fingerprint(set: set, settings: settings, weights: record.weightsSHA256))
        try training.start(resume: request.resume, note: observer.note)
        if training.trainer.step == 0, let before = training.scores.first { observer.validated(before) }
        observer.training(settings.steps)
        try training.run(step: observer.step, validated: observer.validated)
        let trainer = training.trainer
        (report.steps, report.scores, report.stepsPerEpoch) = (training.steps, training.scores, stepsPerEpoch)
        try write(adapter: trainer.model, cases: set.cases, base: record.weightsSHA256)
        try AtomicOutput.write(Data(([TrainingStep.csvHeader] + training.log).joined(separator: "\n").utf8 + [10]), to: logPath)
        if validation != nil {
            try AtomicOutput.write(Data(([FinetuneTraining.validationHeader] + training.validationLog).joined(separator: "\n").utf8 + [10]),
                                   to: validationPath)
        }
        report.seconds = Date().timeIntervalSince(started)
        report.written = [request.output, logPath, recordPath] + (validation != nil ? [validationPath] : [])
        report.written += try FinetuneReportPage.write(report, adapter: request.output, settings: [
            ("method", request.method.rawValue), ("where", request.place.rawValue), ("rank, alpha", request.method == .lora ? "\(request.lora.rank), \(request.lora.alpha)" : "-"),
            ("steps", "\(settings.steps)"), ("batch", "\(settings.batch)"), ("learning rate", "\(settings.learningRate)"),
            ("loss", settings.loss.rawValue), ("prompts", request.prompts.rawValue), ("seed", "\(settings.seed)"),
            ("training images", set.pairs.map(\.image).joined(separator: ", ")), ("synthesis", request.data.synthesis.summary),
        ])
        record["cases"] = set.pairs.map { ["image": $0.image, "label_map": $0.labelMap] }
        record["targets"] = report.targets
        record["exemplars"] = report.exemplars.map { ["case": $0.caseIndex, "slice": $0.slice] }
        record["synthesized"] = request.data.synthesize
        record["synthesis"] = request.data.synthesis.summary
        record["samples"] = samples.count
        record["settings"] = ["steps": settings.steps, "epochs": Double(settings.steps) / Double(stepsPerEpoch), "batch": settings.batch,
                              "learning_rate": settings.learningRate, "method": request.method.rawValue, "where": request.place.rawValue,
                              "rank": request.method == .lora ? request.lora.rank : NSNull(), "alpha": request.method == .lora ? request.lora.alpha : NSNull(),
                              "prompts": request.prompts.rawValue, "loss": settings.loss.rawValue, "seed": settings.seed] as [String: Any]
        record["validation"] = ["slices": held.map { ["case": $0.caseIndex, "slice": $0.slice] },
                                "scores": training.scores.map(\.object)] as [String: Any]
        record["final_loss"] = report.steps.last?.loss ?? NSNull()
        record["encoding_seconds"] = report.encodingSeconds
        record["training_seconds"] = report.trainingSeconds
        record["peak_rss_mb"] = RunRecord.peakResidentMB()
        record["files"] = report.written
        try record.write(to: recordPath)
        training.finish()
        return report
    }

    /// What must be equal for a checkpoint to continue this run.
    func fingerprint(set: TrainingSet, settings: TrainingSettings, weights: String) throws -> String {
        let parts: [Any] = [set.pairs.map { [$0.image, $0.labelMap] }, set.targets, set.exemplars.map { [$0.caseIndex, $0.slice] },
                            request.data.synthesize, request.data.synthesis.summary, request.data.seed, request.prompts.rawValue, request.method.rawValue, request.place.rawValue,
                            request.lora.rank, request.lora.alpha, request.lora.seed, settings.steps, settings.batch, settings.learningRate,
                            settings.warmupFraction, settings.finalLearningRate, settings.weightDecay, settings.clipNorm, settings.diceWeight,
                            settings.loss.rawValue, settings.seed, weights, set.cases.map(\.normalization)]
        return String(decoding: try JSONSerialization.data(withJSONObject: parts, options: [.sortedKeys]), as: UTF8.self)
    }

    /// The plain model that trains: the decoder with the method's trainable parts (unless only the encoder adapts), and
    /// the encoder's last stage with its LoRA when the encoder adapts.
    func trainableModel(imagePE pe: Tensor) throws -> TrainableModel {
        var decoder: PlainMaskDecoder<Float> = try PlainModelLoader.maskDecoder(weights: engine.weights, spec: engine.spec)
        if request.place.adaptsDecoder {
            switch request.method {
            case .lora: decoder.addLoRA(request.lora)
            case .adapter: decoder.addAdapters(seed: request.lora.seed)
            case .svd: try decoder.addSingularValueTuning()
            }
        }
        var encoder: PlainEncoderSuffix<Float>?
        if request.place.adaptsEncoder {
            guard request.method == .lora else { throw FinetuneError("--where \(request.place.rawValue) needs --method lora") }
            encoder = try PlainModelLoader.encoderSuffix(weights: engine.weights, spec: engine.spec)
            encoder!.addLoRA(request.lora)
        }
        return TrainableModel(decoder: decoder, encoder: encoder, imagePE: Matrix(rows: pe.shape[0], columns: pe.shape[1], values: pe.data))
    }

    /// The adapter file: every LoRA factor (or singular-value scale and shift and layer norm), and metadata naming
    /// the base weights (`base`, their SHA-256), the place adapted, the targets, the prompts, the normalization and
    /// the training images.
    func write(adapter model: TrainableModel, cases: [TrainingCase], base: String) throws {
        let metadata = ["where": request.place.rawValue, "base": engine.spec.name,
                        "targets": cases.first?.targets.map(\.name).joined(separator: ",") ?? "",
                        "prompts": request.prompts.rawValue,
                        HeldOutCheck.metadataKey: try cases.compactMap { try HeldOutCheck.digest($0.image) }.joined(separator: ","),
                        "normalization": Set(cases.map(\.normalization)).sorted().joined(separator: " | "),
                        "volsam_version": RunRecord.version]
        switch request.method {
        case .lora:
            try LoRAAdapter(decoder: model.decoder, encoder: model.encoder, settings: request.lora, baseSHA256: base, metadata: metadata)
                .write(to: request.output)
        case .adapter: try BottleneckAdapterFile(decoder: model.decoder, baseSHA256: base, metadata: metadata).write(to: request.output)
        case .svd: try SingularValueAdapter(decoder: model.decoder, baseSHA256: base, metadata: metadata).write(to: request.output)
        }
    }
}

/// A fine-tuning request that cannot run as asked (found before any work).
public struct FinetuneError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
