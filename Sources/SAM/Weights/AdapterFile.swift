import Foundation
import Tensor

/// A trained adapter (.safetensors with metadata format "volsam-adapter"), merged into the base weights at load so
/// inference with it runs exactly as fast as without.
public protocol WeightAdapter: Sendable {
    /// The SHA-256 of the base checkpoint it was trained on.
    var baseSHA256: String { get }
    var metadata: [String: String] { get }
    /// The base tensors with the adaptation merged in; a layer the base lacks or of another shape is an error naming
    /// the adapter file.
    func merged(into tensors: [String: CheckpointTensor], adapterPath: String) throws -> [String: CheckpointTensor]
}

/// Reads an adapter file of any method (metadata "method": lora, adapter or svd).
public enum AdapterFile {
    public static func read(path: String) throws -> any WeightAdapter {
        let (tensors, metadata) = try SafeTensorsReader.readWithMetadata(path: path)
        guard metadata["format"] == "volsam-adapter" else {
            throw CheckpointError(path, "not a VolSAM adapter (metadata format \(metadata["format"] ?? "none"))")
        }
        guard let base = metadata["base_sha256"], base.count == 64 else { throw CheckpointError(path, "adapter metadata lacks a valid base_sha256") }
        switch metadata["method"] {
        case "lora": return try LoRAAdapter(tensors: tensors, metadata: metadata, baseSHA256: base, path: path)
        case "svd": return try SingularValueAdapter(tensors: tensors, metadata: metadata, baseSHA256: base, path: path)
        case "adapter": return try BottleneckAdapterFile(tensors: tensors, metadata: metadata, baseSHA256: base, path: path)
        default: throw CheckpointError(path, "unknown adapter method \(metadata["method"] ?? "none") (lora, adapter or svd)")
        }
    }
}

/// An S-SAM adapter file: per tuned layer NAME.svd_scale and NAME.svd_shift [k], and the trained layer norms'
/// NAME.weight and NAME.bias; merged by recomposing each tuned weight from its SVD, U diag(ReLU(scale S + shift)) V^T.
public struct SingularValueAdapter: WeightAdapter {
    public let baseSHA256: String
    public let metadata: [String: String]
    /// Per tuned layer (module path): scale and shift.
    public let tuning: [String: (scale: [Float], shift: [Float])]
    /// Trained layer norm tensors by checkpoint name (NAME.weight, NAME.bias).
    public let norms: [String: CheckpointTensor]

    /// The adapter of a trained decoder's singular-value tunings and trained layer norms.
    public init<S: TrainingScalar>(decoder: PlainMaskDecoder<S>, baseSHA256: String, metadata: [String: String]) {
        var (tuning, norms) = ([String: (scale: [Float], shift: [Float])](), [String: CheckpointTensor]())
        var copy = decoder
        copy.visitTrainable { name, values in
            let floats = values.map { Float($0) }
            if name.hasSuffix(".svd_scale") { tuning[String(name.dropLast(10)), default: ([], [])].scale = floats }
            else if name.hasSuffix(".svd_shift") { tuning[String(name.dropLast(10)), default: ([], [])].shift = floats }
            else if !name.contains(".lora_") { norms[name] = CheckpointTensor(shape: [floats.count], storedType: .float32, values: floats) }
        }
        (self.baseSHA256, self.metadata, self.tuning, self.norms) = (baseSHA256, metadata, tuning, norms)
    }

    init(tensors: [String: CheckpointTensor], metadata: [String: String], baseSHA256: String, path: String) throws {
        var (tuning, norms) = ([String: (scale: [Float], shift: [Float])](), [String: CheckpointTensor]())
        for (name, tensor) in tensors {
            guard tensor.shape.count == 1 else { throw CheckpointError(path, "\(name) is \(tensor.shape), not a vector") }
            if name.hasSuffix(".svd_scale") || name.hasSuffix(".svd_shift") {
                let layer = String(name.dropLast(10))
                guard let scale = tensors[layer + ".svd_scale"], let shift = tensors[layer + ".svd_shift"], scale.count == shift.count else {
                    throw CheckpointError(path, "\(layer) lacks its svd_scale or svd_shift, or their sizes differ")
                }
                tuning[layer] = (scale.values, shift.values)
            } else if name.hasSuffix(".weight") || name.hasSuffix(".bias") {
                norms[name] = tensor
            } else {
                throw CheckpointError(path, "unknown tensor \(name)")
            }
        }
        guard !tuning.isEmpty else { throw CheckpointError(path, "the adapter holds no singular-value tuning") }
        (self.baseSHA256, self.metadata, self.tuning, self.norms) = (baseSHA256, metadata, tuning, norms)
    }

    public func write(to path: String) throws {
        var tensors: [String: (shape: [Int], values: [Float])] = [:]
        for (layer, t) in tuning {
            tensors[layer + ".svd_scale"] = ([t.scale.count], t.scale)
            tensors[layer + ".svd_shift"] = ([t.shift.count], t.shift)
        }
        for (name, tensor) in norms { tensors[name] = (tensor.shape, tensor.values) }
        var all = metadata
        (all["format"], all["method"], all["base_sha256"]) = ("volsam-adapter", "svd", baseSHA256)
        try SafeTensorsWriter.write(tensors, metadata: all, to: path)
    }

    public func merged(into tensors: [String: CheckpointTensor], adapterPath: String) throws -> [String: CheckpointTensor] {
        var out = tensors
        for (layer, t) in tuning.sorted(by: { $0.key < $1.key }) {
            guard let base = tensors[layer + ".weight"], base.shape.count == 2 else {
                throw CheckpointError(adapterPath, "tunes \(layer), which the base weights lack")
            }
            let weight = Matrix<Double>(rows: base.shape[0], columns: base.shape[1], values: base.values.map(Double.init))
            guard var svd = SingularValueTuning(weight: weight) else {
                throw CheckpointError(adapterPath, "\(layer): the SVD of the base weight did not converge")
            }
            guard svd.s.count == t.scale.count else {
                throw CheckpointError(adapterPath, "\(layer): \(t.scale.count) singular values, the base weight has \(svd.s.count)")
            }
            (svd.scale, svd.shift) = (t.scale.map(Double.init), t.shift.map(Double.init))
            out[layer + ".weight"] = CheckpointTensor(shape: base.shape, storedType: base.storedType, values: svd.weight.values.map { Float($0) })
        }
        for (name, tensor) in norms.sorted(by: { $0.key < $1.key }) {
            guard let base = tensors[name], base.shape == tensor.shape else {
                throw CheckpointError(adapterPath, "\(name) \(tensor.shape) does not match the base weights")
            }
            out[name] = CheckpointTensor(shape: base.shape, storedType: base.storedType, values: tensor.values)
        }
        return out
    }
}

