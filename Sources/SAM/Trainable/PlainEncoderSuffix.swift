import Foundation
import Tensor

/// The part of the encoder that trains when the encoder is adapted: the last attention stage's TinyViT blocks and
/// the neck, in the plain model, on the frozen prefix's output (TinyViTEncoder.prefix, computed once per slice);
/// the embedding's gradient flows back through them to what trains (a LoRA on the blocks' per-head q and v).
public struct PlainEncoderSuffix<S: TrainingScalar>: Sendable {
    public var blocks: [PlainTinyViTBlock<S>]
    public var neck: PlainNeck<S>
    /// The grid side the blocks and the neck run at (64 in LiteMedSAM).
    public let grid: Int

    /// What the backward pass needs.
    public struct Cache: Sendable {
        let blocks: [PlainTinyViTBlock<S>.Cache], neck: PlainNeck<S>.Cache
    }

    public init(_ source: ParameterSource<S>, spec: ModelSpec) {
        let stage = spec.encoderDims.count - 1, channels = spec.encoderDims[stage]
        blocks = (0..<spec.encoderDepths[stage]).map {
            PlainTinyViTBlock(source, name: CheckpointNames.Encoder.block(stage: stage, block: $0), channels: channels,
                              heads: spec.encoderHeads[stage], window: spec.encoderWindows[stage])
        }
        neck = PlainNeck(source, inputs: channels, outputs: spec.embeddingChannels)
        grid = spec.embeddingGrid
    }

    /// The frozen prefix's output [grid^2, channels] -> the image embedding [grid^2, embedding channels].
    @_specialize(exported: true, where S == Float)
    @_specialize(exported: true, where S == Double)
    public func forward(_ x: Matrix<S>) -> (embedding: Matrix<S>, cache: Cache) {
        var y = x, caches: [PlainTinyViTBlock<S>.Cache] = []
        for block in blocks {
            let result = block.forward(y, height: grid, width: grid)
            y = result.y
            caches.append(result.cache)
        }
        let n = neck.forward(y, height: grid, width: grid)
        return (n.y, Cache(blocks: caches, neck: n.cache))
    }

    /// The gradients of what trains from the embedding's gradient.
    @_specialize(exported: true, where S == Float)
    @_specialize(exported: true, where S == Double)
    public func backward(_ dEmbedding: Matrix<S>, cache c: Cache, into g: inout ParameterGradients<S>) {
        var dy = neck.backward(dEmbedding, cache: c.neck, into: &g)
        for (block, cache) in zip(blocks, c.blocks).reversed() { dy = block.backward(dy, cache: cache, into: &g) }
    }

    /// LoRA of `settings`' rank and scale on every block's per-head q and v rows of qkv (A kaiming-uniform from the
    /// seed's own stream, apart from the decoder's; B zero, so the untrained LoRA leaves the encoder as it was).
    public mutating func addLoRA(_ settings: LoRASettings) {
        var random = SeededRandom(seed: settings.seed, label: 1, slice: 0)
        for i in blocks.indices { blocks[i].addQueryValueLoRA(rank: settings.rank, scale: S(settings.scale), random: &random) }
    }

    /// Visits every LoRA factor (NAME.lora_q_A, NAME.lora_q_B, NAME.lora_v_A, NAME.lora_v_B of each block's qkv), in a
    /// fixed order, to read or update it.
    public mutating func visitLoRA(_ body: (String, inout [S]) -> Void) {
        for i in blocks.indices {
            for j in blocks[i].qkv.rowLoRAs.indices {
                let name = blocks[i].qkv.name + ".lora_" + blocks[i].qkv.rowLoRAs[j].tag
                body(name + "_A", &blocks[i].qkv.rowLoRAs[j].a.values)
                body(name + "_B", &blocks[i].qkv.rowLoRAs[j].b.values)
            }
        }
    }

    /// Every row LoRA, by the adapted layer's checkpoint name, in visiting order.
    public var rowLoRAFactors: [(layer: String, lora: RowLowRankUpdate<S>)] {
        blocks.flatMap { block in block.qkv.rowLoRAs.map { (block.qkv.name, $0) } }
    }
}
