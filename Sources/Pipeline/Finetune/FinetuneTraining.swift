import Foundation
import SAM
import Tensor
import Training
import Volume

/// The training loop of `volsam finetune` around AdapterTrainer: the step log, validation after every epoch (and
/// before the first step), a checkpoint every few minutes (atomic; removed when the run ends) and `--resume` from it.
struct FinetuneTraining {
    var trainer: AdapterTrainer
    let samples: [TrainingSample]
    let validation: ValidationSet?
    let stepsPerEpoch: Int
    let checkpointPath: String
    let checkpointSeconds: Double
    let fingerprint: String
    private(set) var log: [String] = []
    private(set) var validationLog: [String] = []
    private(set) var steps: [TrainingStep] = []
    private(set) var scores: [ValidationScore] = []

    init(trainer: AdapterTrainer, samples: [TrainingSample], validation: ValidationSet?, stepsPerEpoch: Int, checkpointPath: String,
         checkpointSeconds: Double, fingerprint: String) {
        (self.trainer, self.samples, self.validation, self.stepsPerEpoch) = (trainer, samples, validation, stepsPerEpoch)
        (self.checkpointPath, self.checkpointSeconds, self.fingerprint) = (checkpointPath, checkpointSeconds, fingerprint)
    }

    static let validationHeader = "step,epoch,samples,dice_box,dice_point"

    /// Continues from the checkpoint when `resume` and it exists; otherwise starts at step 0, noting what happens to
    /// a checkpoint left by another run.
    mutating func start(resume: Bool, note: (String) -> Void) throws {
        let exists = FileManager.default.fileExists(atPath: checkpointPath)
        if resume && exists {
            let checkpoint = try TrainingCheckpoint.read(path: checkpointPath, fingerprint: fingerprint)
            try trainer.restore(checkpoint, path: checkpointPath)
            (log, validationLog) = (checkpoint.log, checkpoint.validationLog)
            steps = log.compactMap(TrainingStep.init(csvRow:))
            scores = validationLog.compactMap(ValidationScore.init(csvRow:))
            note("resuming from \(checkpointPath) after step \(checkpoint.step)")
        } else if resume {
            note("no checkpoint at \(checkpointPath): starting from the first step")
        } else if exists {
            note("\(checkpointPath) is left from an interrupted run: starting over (--resume continues it)")
        }
        if trainer.step == 0 { validate() }
    }

    mutating func validate() {
        guard let validation else { return }
        let dice = validation.score(trainer.model)
        let score = ValidationScore(step: trainer.step, epoch: Double(trainer.step) / Double(stepsPerEpoch), samples: validation.samples.count,
                                    box: dice[.box], point: dice[.point])
        scores.append(score)
        validationLog.append(score.csvRow)
    }

    /// Trains to the last step, validating after every epoch and checkpointing every `checkpointSeconds`;
    /// `observe` hears every step and `validated` every validation.
    mutating func run(step observe: (TrainingStep) -> Void, validated: (ValidationScore) -> Void) throws {
        let total = trainer.settings.steps
        var lastCheckpoint = Date()
        while trainer.step < total {
            let epochEnd = min(total, (trainer.step / stepsPerEpoch + 1) * stepsPerEpoch)
            var records: [TrainingStep] = []
            let interval = checkpointSeconds
            trainer.train(samples, until: epochEnd) { record in
                records.append(record)
                observe(record)
                return Date().timeIntervalSince(lastCheckpoint) < interval
            }
            steps += records
            log += records.map(\.csvRow)
            if trainer.step == epochEnd, validation != nil {
                validate()
                validated(scores.last!)
            }
            if trainer.step < total, Date().timeIntervalSince(lastCheckpoint) >= interval {
                try TrainingCheckpoint(trainer, fingerprint: fingerprint, log: log, validationLog: validationLog).write(to: checkpointPath)
                lastCheckpoint = Date()
            }
        }
    }

    /// The run is complete: its checkpoint is no longer needed.
    func finish() {
        try? FileManager.default.removeItem(atPath: checkpointPath)
    }
}

/// Validation Dice after a step (nil for a prompt kind not trained).
public struct ValidationScore: Sendable {
    public let step: Int, epoch: Double, samples: Int
    public let box: Double?, point: Double?

    var csvRow: String {
        func f(_ v: Double?) -> String { v.map { String(format: "%.4f", $0) } ?? "" }
        return "\(step),\(String(format: "%.2f", epoch)),\(samples),\(f(box)),\(f(point))"
    }

    init(step: Int, epoch: Double, samples: Int, box: Double?, point: Double?) {
        (self.step, self.epoch, self.samples, self.box, self.point) = (step, epoch, samples, box, point)
    }

    init?(csvRow: String) {
        let f = csvRow.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard f.count == 5, let step = Int(f[0]), let epoch = Double(f[1]), let samples = Int(f[2]) else { return nil }
        self.init(step: step, epoch: epoch, samples: samples, box: Double(f[3]), point: Double(f[4]))
    }

    /// The score as JSON (null for a kind not trained).
    public var object: [String: Any] {
        ["step": step, "epoch": epoch, "dice_box": box.map { $0 as Any } ?? NSNull(), "dice_point": point.map { $0 as Any } ?? NSNull()]
    }

    /// "box 0.8123, point 0.4410".
    public var text: String {
        [("box", box), ("point", point)].compactMap { name, v in v.map { String(format: "%@ %.4f", name, $0) } }.joined(separator: ", ")
    }
}
