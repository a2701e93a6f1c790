import Foundation
import Tensor

/// Hands out checkpoint tensors by name with their expected shapes, folds BatchNorm into convolutions, and at the
/// end reports missing, unexpected and mis-shaped entries in one error.
public final class ParameterStore {
    private var tensors: [String: CheckpointTensor]
    private var used: Set<String> = []
    private var problems: [String] = []
    private let source: String
    /// Checkpoint entries that are not parameters (BatchNorm step counters) and may stay unused.
    private let ignorableSuffixes = ["num_batches_tracked"]

    public init(_ tensors: [String: CheckpointTensor], source: String) {
        self.tensors = tensors
        self.source = source
    }

    /// Whether the checkpoint (with any adapter merged in) holds `name`.
    public func contains(_ name: String) -> Bool { tensors[name] != nil }

    /// The tensor `name`, which must have `shape`; a zero tensor (and a recorded problem) when it does not.
    public func tensor(_ name: String, _ shape: [Int]) -> Tensor {
        used.insert(name)
        guard let found = tensors[name] else {
            problems.append("missing \(name) \(shape)")
            return Tensor(zeros: shape)
        }
        guard found.shape == shape else {
            problems.append("\(name) has shape \(found.shape), expected \(shape)")
            return Tensor(zeros: shape)
        }
        return Tensor(shape: shape, data: found.values)
    }

    /// A Conv2d_BN pair (bias-free conv `prefix.c`, BatchNorm `prefix.bn`) folded into one convolution's weight
    /// [Cout, Cin/groups, k, k] and bias [Cout], as TinyViT's Conv2d_BN.fuse() does (eps 1e-5).
    public func convBN(_ prefix: String, out: Int, inPerGroup: Int, kernel: Int) -> (weight: Tensor, bias: Tensor) {
        var weight = tensor(prefix + ".c.weight", [out, inPerGroup, kernel, kernel])
        let gamma = tensor(prefix + ".bn.weight", [out]), beta = tensor(prefix + ".bn.bias", [out])
        let mean = tensor(prefix + ".bn.running_mean", [out]), variance = tensor(prefix + ".bn.running_var", [out])
        used.insert(prefix + ".bn.num_batches_tracked")
        var bias = [Float](repeating: 0, count: out)
        let per = inPerGroup * kernel * kernel
        for o in 0..<out {
            let scale = gamma.data[o] / (variance.data[o] + 1e-5).squareRoot()
            for i in 0..<per { weight.data[o * per + i] *= scale }
            bias[o] = beta.data[o] - mean.data[o] * scale
        }
        return (weight, Tensor(shape: [out], data: bias))
    }

    /// Throws when anything was missing, mis-shaped or left over.
    public func finish() throws {
        let unexpected = tensors.keys.filter { key in
            !used.contains(key) && !ignorableSuffixes.contains { key.hasSuffix($0) }
        }.sorted()
        let all = problems + unexpected.map { "unexpected \($0)" }
        guard all.isEmpty else {
            let shown = all.prefix(12).joined(separator: "; ")
            throw CheckpointError(source, "does not fit LiteMedSAM (\(all.count) problem(s)): \(shown)"
                                  + (all.count > 12 ? "; ..." : ""))
        }
        tensors = [:]
    }
}
