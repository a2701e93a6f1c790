import Foundation
import Tensor

/// A convolution with BatchNorm folded in, stored in the channels-last layout the kernels use.
struct FoldedConv {
    enum Kind { case pointwise, depthwise, full }
    let kind: Kind
    let weight: Tensor
    let bias: Tensor
    let stride: Int
    let padding: Int
    /// A 1x1 convolution's weight packed transposed for SmallGEMM (the fused inverted-residual kernel's form).
    let packed: SmallGEMM.PackedB?

    /// Conv2d_BN `prefix` (1x1 when kernel 1, depthwise when groups == channels).
    init(_ store: ParameterStore, _ prefix: String, in cin: Int, out cout: Int, kernel: Int, stride: Int = 1,
         depthwise: Bool = false) {
        let folded = store.convBN(prefix, out: cout, inPerGroup: depthwise ? 1 : cin, kernel: kernel)
        self.stride = stride
        padding = kernel / 2
        bias = folded.bias
        if depthwise {
            kind = .depthwise
            weight = Convolution.depthwiseWeight(folded.weight)
        } else if kernel == 1 {
            kind = .pointwise
            weight = folded.weight.reshaped([cout, cin])
        } else {
            kind = .full
            weight = Convolution.channelsLastWeight(folded.weight)
        }
        packed = kind == .pointwise ? SmallGEMM.PackedB(transposing: weight) : nil
    }

    /// `x` [H, W, C] -> [H', W', Cout].
    func callAsFunction(_ x: Tensor) -> Tensor {
        switch kind {
        case .pointwise:
            return Linear.forward(x, weight: weight, bias: bias)
        case .depthwise:
            let out = Convolution.depthwise(x.reshaped([1] + x.shape), weight: weight, bias: bias, stride: stride,
                                            padding: padding)
            return out.reshaped(Array(out.shape.dropFirst()))
        case .full:
            let out = Convolution.forward(x.reshaped([1] + x.shape), weight: weight, bias: bias, stride: stride,
                                          padding: padding)
            return out.reshaped(Array(out.shape.dropFirst()))
        }
    }
}

/// torch.nn.GELU() on a whole tensor (in place when the argument is a temporary).
func gelu(_ x: consuming Tensor) -> Tensor {
    var out = consume x
    Elementwise.gelu(&out.data)
    return out
}

/// a + b elementwise (in place when `a` is a temporary).
func add(_ a: consuming Tensor, _ b: Tensor) -> Tensor {
    precondition(a.count == b.count)
    var out = consume a
    out.data.withUnsafeMutableBufferPointer { o in b.data.withUnsafeBufferPointer { p in
        for i in 0..<o.count { o[i] += p[i] }
    } }
    return out
}

/// A layer norm's parameters (weight, bias, epsilon).
struct Norm {
    let weight: Tensor
    let bias: Tensor
    let epsilon: Float

    init(_ store: ParameterStore, _ prefix: String, _ channels: Int, epsilon: Float = 1e-5) {
        weight = store.tensor(prefix + ".weight", [channels])
        bias = store.tensor(prefix + ".bias", [channels])
        self.epsilon = epsilon
    }

    func callAsFunction(_ x: Tensor) -> Tensor { LayerNorm.forward(x, weight: weight, bias: bias, epsilon: epsilon) }
}

/// torch.nn.Linear's parameters; `keepPacked` layers also keep W^T packed for SmallGEMM: the decoder's token side
/// (a handful of rows per call, where sgemm would pack all of W again) and the encoder's fused MLPs.
struct Dense {
    let weight: Tensor
    let bias: Tensor?
    let packed: SmallGEMM.PackedB?

    init(_ store: ParameterStore, _ prefix: String, in inFeatures: Int, out outFeatures: Int, bias hasBias: Bool = true,
         keepPacked: Bool = false) {
        weight = store.tensor(prefix + ".weight", [outFeatures, inFeatures])
        bias = hasBias ? store.tensor(prefix + ".bias", [outFeatures]) : nil
        packed = keepPacked ? SmallGEMM.PackedB(transposing: weight) : nil
    }

    /// Rows beyond which sgemm's packing pays for itself.
    static let fewRowLimit = 256

    func callAsFunction(_ x: Tensor) -> Tensor {
        if let packed, x.count / packed.k <= Self.fewRowLimit { return Linear.forward(x, packed: packed, bias: bias) }
        return Linear.forward(x, weight: weight, bias: bias)
    }
}
