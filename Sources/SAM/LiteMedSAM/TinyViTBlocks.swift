import Foundation
import Tensor

/// TinyViT's inverted-residual block: 1x1 expand, GELU, 3x3 depthwise, GELU, 1x1 project, + input, GELU.
struct MBConv {
    let conv1: FoldedConv, conv2: FoldedConv, conv3: FoldedConv

    init(_ store: ParameterStore, _ prefix: String, channels: Int, expand: Int = 4) {
        let hidden = channels * expand
        conv1 = FoldedConv(store, CheckpointNames.conv(prefix, 1), in: channels, out: hidden, kernel: 1)
        conv2 = FoldedConv(store, CheckpointNames.conv(prefix, 2), in: hidden, out: hidden, kernel: 3, depthwise: true)
        conv3 = FoldedConv(store, CheckpointNames.conv(prefix, 3), in: hidden, out: channels, kernel: 1)
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        InvertedResidual.forward(x, expand: conv1.packed!, expandBias: conv1.bias, depthwise: conv2.weight,
                                 depthwiseBias: conv2.bias, project: conv3.packed!, projectBias: conv3.bias)
    }
}

/// TinyViT's downsampling between stages: 1x1, GELU, 3x3 depthwise (stride 2, or 1 into the 320-channel stage),
/// GELU, 1x1 (fused over row tiles like MBConv, without its residual).
struct PatchMerging {
    let conv1: FoldedConv, conv2: FoldedConv, conv3: FoldedConv

    /// `stride`: 2, or 1 into the last stage (TinyViT keeps 64x64 there).
    init(_ store: ParameterStore, _ prefix: String, in cin: Int, out cout: Int, stride: Int) {
        conv1 = FoldedConv(store, CheckpointNames.conv(prefix, 1), in: cin, out: cout, kernel: 1)
        conv2 = FoldedConv(store, CheckpointNames.conv(prefix, 2), in: cout, out: cout, kernel: 3, stride: stride, depthwise: true)
        conv3 = FoldedConv(store, CheckpointNames.conv(prefix, 3), in: cout, out: cout, kernel: 1)
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        InvertedResidual.forward(x, expand: conv1.packed!, expandBias: conv1.bias, depthwise: conv2.weight,
                                 depthwiseBias: conv2.bias, project: conv3.packed!, projectBias: conv3.bias,
                                 stride: conv2.stride, residual: false)
    }
}

/// TinyViT's transformer block: windowed multi-head attention with learned relative-position biases (zero-padded
/// to whole windows), + input; 3x3 depthwise local conv; MLP (LayerNorm, fc1, GELU, fc2), + input.
struct TinyViTBlock {
    let channels: Int, heads: Int, window: Int
    /// The attention's norm, qkv, projection and position biases ([heads, window^2, window^2], expanded from
    /// attention_biases by TinyViT's offset table).
    let attentionWeights: WindowAttention.Weights
    let localConv: FoldedConv
    let mlpNorm: Norm, fc1: Dense, fc2: Dense

    init(_ store: ParameterStore, _ prefix: String, channels: Int, heads: Int, window: Int) {
        self.channels = channels
        self.heads = heads
        self.window = window
        let attentionNorm = Norm(store, CheckpointNames.TinyViTBlock.attentionNorm(prefix), channels)
        let qkv = Dense(store, CheckpointNames.TinyViTBlock.qkv(prefix), in: channels, out: 3 * channels)
        let projection = Dense(store, CheckpointNames.TinyViTBlock.projection(prefix), in: channels, out: channels)
        let (indices, offsetCount) = Self.biasIndices(window: window)
        let table = store.tensor(CheckpointNames.TinyViTBlock.attentionBiases(prefix), [heads, offsetCount])
        let n = window * window
        var bias = [Float](repeating: 0, count: heads * n * n)
        for h in 0..<heads { for i in 0..<(n * n) { bias[h * n * n + i] = table.data[h * offsetCount + indices[i]] } }
        attentionWeights = .init(normWeight: attentionNorm.weight, normBias: attentionNorm.bias, epsilon: attentionNorm.epsilon,
                                 qkv: qkv.weight, qkvBias: qkv.bias!, projection: projection.weight,
                                 projectionBias: projection.bias!, positionBias: Tensor(shape: [heads, n, n], data: bias))
        localConv = FoldedConv(store, CheckpointNames.TinyViTBlock.localConv(prefix), in: channels, out: channels, kernel: 3, depthwise: true)
        mlpNorm = Norm(store, CheckpointNames.TinyViTBlock.mlpNorm(prefix), channels)
        fc1 = Dense(store, CheckpointNames.TinyViTBlock.mlp(prefix, 1), in: channels, out: 4 * channels, keepPacked: true)
        fc2 = Dense(store, CheckpointNames.TinyViTBlock.mlp(prefix, 2), in: 4 * channels, out: channels, keepPacked: true)
    }

    /// TinyViT's attention_bias_idxs: for each pair of window positions, the index of their (|dy|, |dx|) offset in
    /// first-seen order.
    static func biasIndices(window: Int) -> (indices: [Int], offsetCount: Int) {
        let points = (0..<window).flatMap { y in (0..<window).map { x in (y, x) } }
        var offsets: [Int: Int] = [:]
        var indices: [Int] = []
        for p1 in points {
            for p2 in points {
                let key = abs(p1.0 - p2.0) * 10_000 + abs(p1.1 - p2.1)
                if offsets[key] == nil { offsets[key] = offsets.count }
                indices.append(offsets[key]!)
            }
        }
        return (indices, offsets.count)
    }

    /// `x` [H, W, C] -> [H, W, C]; `timer` (with `stage` naming its entries) collects the time of each part.
    func callAsFunction(_ x: Tensor, timer: StageTimer? = nil, stage: String = "") -> Tensor {
        let (h, w, c) = (x.shape[0], x.shape[1], x.shape[2])
        let afterAttention = windowAttention(x, timer: timer, stage: stage)  // includes the residual
        let local = timer.measure(stage + " local conv") { localConv(afterAttention) }
        return timer.measure(stage + " MLP") { ResidualMLP.forward(local.reshaped([h * w, c]), normWeight: mlpNorm.weight, normBias: mlpNorm.bias,
                                   epsilon: mlpNorm.epsilon, fc1: fc1.packed!, fc1Bias: fc1.bias!, fc2: fc2.packed!,
                                   fc2Bias: fc2.bias!).reshaped([h, w, c]) }
    }

    /// Pads to whole windows with zeros, attends within each window, drops the padding, adds the input.
    func windowAttention(_ x: Tensor, timer: StageTimer? = nil, stage: String = "") -> Tensor {
        timer.measure(stage + " attention") {
            WindowAttention.forward(x, window: window, heads: heads, weights: attentionWeights)
        }
    }
}
