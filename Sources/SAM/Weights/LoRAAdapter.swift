import Foundation
import Tensor

/// A LoRA adapter file (.safetensors): per adapted layer NAME.lora_A [rank, in] and NAME.lora_B [out, rank], named by
/// the checkpoint's module paths, with metadata naming the method, rank, alpha, the adapted place and the SHA-256 of
/// the base weights it was trained on. Merged into the base weights at load (W + alpha / rank B A), so inference
/// with it runs exactly as fast as without.
public struct LoRAAdapter: WeightAdapter {
    public let rank: Int, alpha: Double
    /// The SHA-256 of the base checkpoint the adapter was trained on.
    public let baseSHA256: String
    public let metadata: [String: String]
    /// Per adapted layer (module path): A and B.
    public let factors: [String: (a: CheckpointTensor, b: CheckpointTensor)]

    public init(rank: Int, alpha: Double, baseSHA256: String, metadata: [String: String],
                factors: [String: (a: CheckpointTensor, b: CheckpointTensor)]) {
        (self.rank, self.alpha, self.baseSHA256, self.metadata, self.factors) = (rank, alpha, baseSHA256, metadata, factors)
    }

    /// The adapter of a trained decoder's LoRA factors (all of one rank and scale).
    public init<S: TrainingScalar>(decoder: PlainMaskDecoder<S>, settings: LoRASettings, baseSHA256: String, metadata: [String: String]) {
        var factors: [String: (a: CheckpointTensor, b: CheckpointTensor)] = [:]
        for (layer, lora) in decoder.loraFactors {
            factors[layer] = (CheckpointTensor(shape: [lora.a.rows, lora.a.columns], storedType: .float32, values: lora.a.values.map { Float($0) }),
                              CheckpointTensor(shape: [lora.b.rows, lora.b.columns], storedType: .float32, values: lora.b.values.map { Float($0) }))
        }
        self.init(rank: settings.rank, alpha: settings.alpha, baseSHA256: baseSHA256, metadata: metadata, factors: factors)
    }

    /// Reads a LoRA adapter file (AdapterFile.read reads either method).
    public static func read(path: String) throws -> LoRAAdapter {
        guard let lora = try AdapterFile.read(path: path) as? LoRAAdapter else { throw CheckpointError(path, "is not a LoRA adapter") }
        return lora
    }

    init(tensors: [String: CheckpointTensor], metadata: [String: String], baseSHA256 base: String, path: String) throws {
        guard let rank = metadata["rank"].flatMap(Int.init), rank > 0, let alpha = metadata["alpha"].flatMap(Double.init) else {
            throw CheckpointError(path, "adapter metadata lacks a valid rank or alpha")
        }
        var factors: [String: (a: CheckpointTensor, b: CheckpointTensor)] = [:]
        for name in tensors.keys {
            guard name.hasSuffix(".lora_A") || name.hasSuffix(".lora_B") else { throw CheckpointError(path, "unknown tensor \(name)") }
            let layer = String(name.dropLast(7))
            guard let a = tensors[layer + ".lora_A"], let b = tensors[layer + ".lora_B"] else {
                throw CheckpointError(path, "\(layer) lacks its lora_A or lora_B")
            }
            guard a.shape.count == 2, b.shape.count == 2, a.shape[0] == rank, b.shape[1] == rank else {
                throw CheckpointError(path, "\(layer): A \(a.shape) and B \(b.shape) are not of rank \(rank)")
            }
            factors[layer] = (a, b)
        }
        guard !factors.isEmpty else { throw CheckpointError(path, "the adapter holds no LoRA factors") }
        self.init(rank: rank, alpha: alpha, baseSHA256: base, metadata: metadata, factors: factors)
    }

    /// Writes the adapter (metadata: format, method, rank, alpha, base_sha256 and `metadata`'s entries).
    public func write(to path: String) throws {
        var tensors: [String: (shape: [Int], values: [Float])] = [:]
        for (layer, pair) in factors {
            tensors[layer + ".lora_A"] = (pair.a.shape, pair.a.values)
            tensors[layer + ".lora_B"] = (pair.b.shape, pair.b.values)
        }
        var all = metadata
        all["format"] = "volsam-adapter"
        all["method"] = "lora"
        all["rank"] = String(rank)
        all["alpha"] = String(alpha)
        all["base_sha256"] = baseSHA256
        try SafeTensorsWriter.write(tensors, metadata: all, to: path)
    }

    /// The base tensors with every adapted weight merged: W + alpha / rank B A. A layer the base lacks, or whose
    /// weight has another shape, is an error naming the adapter file.
    public func merged(into tensors: [String: CheckpointTensor], adapterPath: String) throws -> [String: CheckpointTensor] {
        var out = tensors
        let scale = Float(alpha / Double(rank))
        for (layer, pair) in factors.sorted(by: { $0.key < $1.key }) {
            guard let base = tensors[layer + ".weight"] else { throw CheckpointError(adapterPath, "adapts \(layer), which the base weights lack") }
            let (outputs, inputs) = (pair.b.shape[0], pair.a.shape[1])
            guard base.shape == [outputs, inputs] else {
                throw CheckpointError(adapterPath, "\(layer): B A is \([outputs, inputs]), the base weight \(base.shape)")
            }
            var values = base.values
            for o in 0..<outputs {
                for i in 0..<inputs {
                    var sum: Float = 0
                    for r in 0..<rank { sum += pair.b.values[o * rank + r] * pair.a.values[r * inputs + i] }
                    values[o * inputs + i] += scale * sum
                }
            }
            out[layer + ".weight"] = CheckpointTensor(shape: base.shape, storedType: base.storedType, values: values)
        }
        return out
    }
}
