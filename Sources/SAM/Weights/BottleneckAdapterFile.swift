import Foundation
import Tensor

/// A Med-SA adapter file (.safetensors, method "adapter"): per bottleneck adapter NAME.D_fc1.weight [dim / 4, dim],
/// NAME.D_fc1.bias, NAME.D_fc2.weight [dim, dim / 4], NAME.D_fc2.bias, named after the decoder layer it follows
/// (NAME = ATTENTION.adapter, or BLOCK.mlp_adapter). "Merging" adds these tensors to the base weights: the engine
/// finds them by name and runs them as extra layers.
public struct BottleneckAdapterFile: WeightAdapter {
    public let baseSHA256: String
    public let metadata: [String: String]
    /// Every tensor, by name.
    public let tensors: [String: CheckpointTensor]

    /// The adapter of a trained decoder's bottleneck adapters.
    public init<S: TrainingScalar>(decoder: PlainMaskDecoder<S>, baseSHA256: String, metadata: [String: String]) {
        var tensors: [String: CheckpointTensor] = [:]
        for adapter in decoder.bottleneckAdapters {
            for layer in [adapter.down, adapter.up] {
                tensors[layer.name + ".weight"] = CheckpointTensor(shape: [layer.outputs, layer.inputs], storedType: .float32,
                                                                   values: layer.weight.values.map { Float($0) })
                tensors[layer.name + ".bias"] = CheckpointTensor(shape: [layer.outputs], storedType: .float32,
                                                                 values: (layer.bias ?? []).map { Float($0) })
            }
        }
        (self.baseSHA256, self.metadata, self.tensors) = (baseSHA256, metadata, tensors)
    }

    init(tensors: [String: CheckpointTensor], metadata: [String: String], baseSHA256: String, path: String) throws {
        for name in tensors.keys.sorted() {
            guard let adapter = Self.adapterName(name) else { throw CheckpointError(path, "unknown tensor \(name)") }
            let parts = ["D_fc1.weight", "D_fc1.bias", "D_fc2.weight", "D_fc2.bias"].map { tensors[adapter + "." + $0] }
            guard let w1 = parts[0], let b1 = parts[1], let w2 = parts[2], let b2 = parts[3], w1.shape.count == 2,
                  w2.shape == [w1.shape[1], w1.shape[0]], b1.shape == [w1.shape[0]], b2.shape == [w1.shape[1]] else {
                throw CheckpointError(path, "\(adapter) lacks one of D_fc1/D_fc2's weight and bias, or their shapes do not fit")
            }
        }
        guard !tensors.isEmpty else { throw CheckpointError(path, "the adapter holds no bottleneck adapters") }
        (self.baseSHA256, self.metadata, self.tensors) = (baseSHA256, metadata, tensors)
    }

    /// NAME of NAME.D_fc1.weight and its three siblings, nil for any other tensor name.
    static func adapterName(_ tensor: String) -> String? {
        for suffix in [".D_fc1.weight", ".D_fc1.bias", ".D_fc2.weight", ".D_fc2.bias"] where tensor.hasSuffix(suffix) {
            return String(tensor.dropLast(suffix.count))
        }
        return nil
    }

    public func write(to path: String) throws {
        var all = metadata
        (all["format"], all["method"], all["base_sha256"]) = ("volsam-adapter", "adapter", baseSHA256)
        try SafeTensorsWriter.write(tensors.mapValues { ($0.shape, $0.values) }, metadata: all, to: path)
    }

    /// The base tensors with the adapters' tensors added; an adapter after a layer the base lacks, or of another
    /// width, is an error naming the adapter file.
    public func merged(into base: [String: CheckpointTensor], adapterPath: String) throws -> [String: CheckpointTensor] {
        var out = base
        for (name, tensor) in tensors.sorted(by: { $0.key < $1.key }) {
            guard base[name] == nil else { throw CheckpointError(adapterPath, "\(name) is already in the base weights") }
            let adapter = Self.adapterName(name)!
            guard let layer = BlockAdapters<Float>.followedLayer(adapter) else {
                throw CheckpointError(adapterPath, "\(adapter) is not named after a decoder attention or MLP")
            }
            guard let follows = base[layer + ".weight"], follows.shape.first == tensors[adapter + ".D_fc1.weight"]?.shape[1] else {
                throw CheckpointError(adapterPath, "\(adapter) follows \(layer), which the base weights lack or which has another width")
            }
            out[name] = tensor
        }
        return out
    }
}
