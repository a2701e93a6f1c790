import Foundation
import SAM
import Tensor

/// A training run's state after some step, enough to continue exactly as if it had not stopped: the LoRA
/// factors, AdamW's moments and step count, the step, the log so far and a fingerprint of the run's settings (a
/// checkpoint made with other settings is refused). Stored as safetensors (F32, exact) with text metadata.
public struct TrainingCheckpoint: Sendable {
    public let step: Int
    public let optimizerSteps: Int
    public let parameters: [String: [Float]]
    public let first: [String: [Float]], second: [String: [Float]]
    public let fingerprint: String
    /// The CSV rows the run had logged (steps, validations), restored with it.
    public let log: [String], validationLog: [String]

    /// The trainer's state now.
    public init(_ trainer: AdapterTrainer, fingerprint: String, log: [String], validationLog: [String]) {
        var parameters: [String: [Float]] = [:]
        var model = trainer.model
        model.visitTrainable { name, values in parameters[name] = values }
        (step, optimizerSteps, self.parameters) = (trainer.step, trainer.optimizer.steps, parameters)
        (first, second) = trainer.optimizer.moments
        (self.fingerprint, self.log, self.validationLog) = (fingerprint, log, validationLog)
    }

    public func write(to path: String) throws {
        var tensors: [String: (shape: [Int], values: [Float])] = [:]
        for (prefix, group) in [("lora/", parameters), ("adam_m/", first), ("adam_v/", second)] {
            for (name, values) in group { tensors[prefix + name] = ([values.count], values) }
        }
        let metadata = ["format": "volsam-checkpoint", "step": String(step), "optimizer_steps": String(optimizerSteps),
                        "fingerprint": fingerprint, "log": log.joined(separator: "\n"),
                        "validation_log": validationLog.joined(separator: "\n")]
        try SafeTensorsWriter.write(tensors, metadata: metadata, to: path)
    }

    public static func read(path: String, fingerprint expected: String) throws -> TrainingCheckpoint {
        let (tensors, metadata) = try SafeTensorsReader.readWithMetadata(path: path)
        guard metadata["format"] == "volsam-checkpoint", let step = metadata["step"].flatMap(Int.init),
              let optimizerSteps = metadata["optimizer_steps"].flatMap(Int.init) else {
            throw CheckpointError(path, "not a VolSAM training checkpoint")
        }
        guard metadata["fingerprint"] == expected else {
            throw CheckpointError(path, "was made by a run with other settings (cases, exemplars, synthesis, prompts, LoRA, training or "
                                  + "weights differ); remove it or run without --resume")
        }
        func group(_ prefix: String) -> [String: [Float]] {
            Dictionary(uniqueKeysWithValues: tensors.filter { $0.key.hasPrefix(prefix) }.map { (String($0.key.dropFirst(prefix.count)), $0.value.values) })
        }
        func lines(_ key: String) -> [String] { metadata[key].map { $0.split(separator: "\n").map(String.init) } ?? [] }
        return TrainingCheckpoint(step: step, optimizerSteps: optimizerSteps, parameters: group("lora/"), first: group("adam_m/"),
                                  second: group("adam_v/"), fingerprint: expected, log: lines("log"), validationLog: lines("validation_log"))
    }

    init(step: Int, optimizerSteps: Int, parameters: [String: [Float]], first: [String: [Float]], second: [String: [Float]],
         fingerprint: String, log: [String], validationLog: [String]) {
        (self.step, self.optimizerSteps, self.parameters, self.first, self.second) = (step, optimizerSteps, parameters, first, second)
        (self.fingerprint, self.log, self.validationLog) = (fingerprint, log, validationLog)
    }
}

extension AdapterTrainer {
    /// Puts a checkpoint's state into this trainer (same model, same trainable layout); throws when a tensor is missing
    /// or has another size.
    public mutating func restore(_ checkpoint: TrainingCheckpoint, path: String) throws {
        var problem: String?
        model.visitTrainable { name, values in
            guard let stored = checkpoint.parameters[name], stored.count == values.count else {
                problem = problem ?? "\(name) is missing or has another size"
                return
            }
            values = stored
        }
        if let problem { throw CheckpointError(path, problem) }
        optimizer.restore(first: checkpoint.first, second: checkpoint.second, steps: checkpoint.optimizerSteps)
        resume(at: checkpoint.step)
    }
}
