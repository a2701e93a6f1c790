import Foundation
import Tensor

/// A prompt in the 256x256 model frame: boxes as (x0, y0, x1, y1), points as (x, y) with positive/negative labels.
public struct ModelPrompt: Sendable, Equatable {
    public var box: [Float]?
    public var points: [(x: Float, y: Float, positive: Bool)]
    /// Optional dense mask logits [256, 256] (SAM's mask input).
    public var mask: Tensor?

    public init(box: [Float]? = nil, points: [(x: Float, y: Float, positive: Bool)] = [], mask: Tensor? = nil) {
        self.box = box
        self.points = points
        self.mask = mask
    }

    public static func == (a: ModelPrompt, b: ModelPrompt) -> Bool {
        a.box == b.box && a.mask == b.mask && a.points.count == b.points.count
            && zip(a.points, b.points).allSatisfy { $0.x == $1.x && $0.y == $1.y && $0.positive == $1.positive }
    }
}

/// SAM's prompt encoder (random Fourier positional encoding, point/box embeddings, mask downscaling).
struct PromptEncoder {
    let gaussian: Tensor  // [2, 128]
    let pointEmbeddings: [Tensor]  // 4 x [256]: negative, positive, box corner 1, box corner 2
    let notAPoint: Tensor, noMask: Tensor
    let maskConv1: Tensor, maskConv1Bias: Tensor, maskNorm1: Norm
    let maskConv2: Tensor, maskConv2Bias: Tensor, maskNorm2: Norm
    let maskConv3: Tensor, maskConv3Bias: Tensor
    /// The dense positional encoding of the 64x64 embedding grid, [4096, 256].
    let densePositional: Tensor
    /// The dense embedding of "no mask" broadcast over the grid, [4096, 256].
    let noMaskDense: Tensor

    init(_ store: ParameterStore) {
        typealias Names = CheckpointNames.PromptEncoder
        gaussian = store.tensor(Names.gaussian, [2, 128])
        pointEmbeddings = (0..<4).map { store.tensor(Names.pointEmbedding($0) + ".weight", [1, 256]).reshaped([256]) }
        notAPoint = store.tensor(Names.notAPoint + ".weight", [1, 256]).reshaped([256])
        noMask = store.tensor(Names.noMask + ".weight", [1, 256]).reshaped([256])
        maskConv1 = Convolution.channelsLastWeight(store.tensor(Names.maskDownscaling(0) + ".weight", [4, 1, 2, 2]))
        maskConv1Bias = store.tensor(Names.maskDownscaling(0) + ".bias", [4])
        maskNorm1 = Norm(store, Names.maskDownscaling(1), 4, epsilon: 1e-6)
        maskConv2 = Convolution.channelsLastWeight(store.tensor(Names.maskDownscaling(3) + ".weight", [16, 4, 2, 2]))
        maskConv2Bias = store.tensor(Names.maskDownscaling(3) + ".bias", [16])
        maskNorm2 = Norm(store, Names.maskDownscaling(4), 16, epsilon: 1e-6)
        maskConv3 = store.tensor(Names.maskDownscaling(6) + ".weight", [256, 16, 1, 1]).reshaped([256, 16])
        maskConv3Bias = store.tensor(Names.maskDownscaling(6) + ".bias", [256])
        var grid: [Float] = []
        for i in 0..<64 { for j in 0..<64 { grid += [(Float(j) + 0.5) / 64, (Float(i) + 0.5) / 64] } }
        densePositional = Self.encode(grid, gaussian: gaussian)
        let noMaskValues = noMask.data
        noMaskDense = Tensor(shape: [4096, 256], data: Array((0..<4096).map { _ in noMaskValues }.joined()))
    }

    /// sin/cos of 2 pi (2c - 1) G for normalized (x, y) pairs -> [count, 256].
    static func encode(_ coordinates: [Float], gaussian: Tensor) -> Tensor {
        let count = coordinates.count / 2
        var out = [Float](repeating: 0, count: count * 256)
        for n in 0..<count {
            let x = 2 * coordinates[2 * n] - 1, y = 2 * coordinates[2 * n + 1] - 1
            for f in 0..<128 {
                let projected = 2 * Float.pi * (x * gaussian.data[f] + y * gaussian.data[128 + f])
                out[n * 256 + f] = sin(projected)
                out[n * 256 + 128 + f] = cos(projected)
            }
        }
        return Tensor(shape: [count, 256], data: out)
    }

    /// Sparse prompt tokens [n, 256] and the dense embedding [4096, 256].
    func callAsFunction(_ prompt: ModelPrompt) -> (sparse: Tensor, dense: Tensor) {
        var sparse: [Float] = []
        if !prompt.points.isEmpty {
            var coordinates: [Float] = [], labels: [Int] = []
            for point in prompt.points {
                coordinates += [(point.x + 0.5) / 256, (point.y + 0.5) / 256]
                labels.append(point.positive ? 1 : 0)
            }
            if prompt.box == nil {  // SAM pads with a "not a point" when there is no box
                coordinates += [0.5 / 256, 0.5 / 256]
                labels.append(-1)
            }
            var encoded = Self.encode(coordinates, gaussian: gaussian).data
            for (n, label) in labels.enumerated() {
                for c in 0..<256 {
                    encoded[n * 256 + c] = label == -1 ? notAPoint.data[c] : encoded[n * 256 + c] + pointEmbeddings[label].data[c]
                }
            }
            sparse += encoded
        }
        if let box = prompt.box {
            var encoded = Self.encode(box.map { ($0 + 0.5) / 256 }, gaussian: gaussian).data
            for c in 0..<256 {
                encoded[c] += pointEmbeddings[2].data[c]
                encoded[256 + c] += pointEmbeddings[3].data[c]
            }
            sparse += encoded
        }
        let dense: Tensor
        if let mask = prompt.mask {
            var x = Convolution.forward(mask.reshaped([1, 256, 256, 1]), weight: maskConv1, bias: maskConv1Bias, stride: 2, padding: 0)
            x = gelu(maskNorm1(x))
            x = Convolution.forward(x, weight: maskConv2, bias: maskConv2Bias, stride: 2, padding: 0)
            x = gelu(maskNorm2(x))
            dense = Linear.forward(x.reshaped([4096, 16]), weight: maskConv3, bias: maskConv3Bias)
        } else {
            dense = noMaskDense
        }
        return (Tensor(shape: [sparse.count / 256, 256], data: sparse), dense)
    }
}
