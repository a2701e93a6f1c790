import Foundation
import Tensor

/// How a model is adapted: LoRA of a rank on the decoder's attention q and v projections (every attention of both
/// two-way blocks and the final attention), W + (alpha / rank) B A, A kaiming-uniform from a seed, B zero, so the
/// untrained adapter leaves the model as it was.
public struct LoRASettings: Sendable, Equatable {
    public var rank = 4
    public var alpha: Double = 4
    public var seed: UInt64 = 0

    public init(rank: Int = 4, alpha: Double? = nil, seed: UInt64 = 0) {
        self.rank = rank
        self.alpha = alpha ?? Double(rank)
        self.seed = seed
    }

    public var scale: Double { alpha / Double(rank) }
}

/// How the decoder is adapted: LoRA on the attention q and v projections, Med-SA's bottleneck adapters after every
/// attention and beside every MLP, or S-SAM's singular-value tuning of the q and v projections plus the layer norms.
public enum AdaptationMethod: String, Sendable, CaseIterable {
    case lora, adapter, svd
}

extension PlainMaskDecoder {
    /// Every attention layer of the decoder, as writable paths (blocks' three, then the final one).
    var attentionPaths: [WritableKeyPath<PlainMaskDecoder, AttentionLayer<S>>] {
        blocks.indices.flatMap { i -> [WritableKeyPath<PlainMaskDecoder, AttentionLayer<S>>] in
            [\.blocks[i].selfAttention, \.blocks[i].tokenToImage, \.blocks[i].imageToToken]
        } + [\.finalAttention]
    }

    /// Adds a LoRA to every attention's q and v projections (PEFT's initialisation: A ~ U(-1/sqrt(in), 1/sqrt(in)),
    /// that is kaiming-uniform with a = sqrt(5); B = 0), in a fixed order from `settings.seed`.
    public mutating func addLoRA(_ settings: LoRASettings) {
        var random = SeededRandom(seed: settings.seed)
        for path in attentionPaths {
            for projection in [\AttentionLayer<S>.q, \AttentionLayer<S>.v] {
                let layer = self[keyPath: path][keyPath: projection]
                let bound = 1 / Double(layer.inputs).squareRoot()
                let a = (0..<(settings.rank * layer.inputs)).map { _ in S((2 * random.uniform() - 1) * bound) }
                self[keyPath: path][keyPath: projection].lora = LowRankUpdate(
                    a: Matrix(rows: settings.rank, columns: layer.inputs, values: a), b: Matrix(zeros: layer.outputs, settings.rank),
                    scale: S(settings.scale))
            }
        }
    }

    /// Visits every LoRA factor (NAME.lora_A, NAME.lora_B), in a fixed order, to read or update it.
    public mutating func visitLoRA(_ body: (String, inout [S]) -> Void) {
        for path in attentionPaths {
            for projection in [\AttentionLayer<S>.q, \AttentionLayer<S>.v] {
                let name = self[keyPath: path][keyPath: projection].name
                guard self[keyPath: path][keyPath: projection].lora != nil else { continue }
                body(name + ".lora_A", &self[keyPath: path][keyPath: projection].lora!.a.values)
                body(name + ".lora_B", &self[keyPath: path][keyPath: projection].lora!.b.values)
            }
        }
    }

    /// Every LoRA, by the adapted layer's checkpoint name, in a fixed order.
    public var loraFactors: [(layer: String, lora: LowRankUpdate<S>)] {
        attentionPaths.flatMap { path in
            [\AttentionLayer<S>.q, \AttentionLayer<S>.v].compactMap { projection -> (String, LowRankUpdate<S>)? in
                let layer = self[keyPath: path][keyPath: projection]
                return layer.lora.map { (layer.name, $0) }
            }
        }
    }

    /// Each adapted projection's weight with its LoRA merged in, W + scale B A, by checkpoint tensor name
    /// (NAME.weight), for the fused engine.
    public func mergedLoRAWeights() -> [String: [S]] {
        var merged: [String: [S]] = [:]
        for path in attentionPaths {
            for projection in [\AttentionLayer<S>.q, \AttentionLayer<S>.v] {
                let layer = self[keyPath: path][keyPath: projection]
                guard let lora = layer.lora else { continue }
                let update = lora.b.multiplied(by: lora.a)
                merged[layer.name + ".weight"] = zip(layer.weight.values, update.values).map { $0 + lora.scale * $1 }
            }
        }
        return merged
    }
}

extension PlainMaskDecoder {
    /// Every layer norm of the decoder, as writable paths (the blocks', the final one, the upscaling one).
    var normPaths: [WritableKeyPath<PlainMaskDecoder, NormLayer<S>>] {
        blocks.indices.flatMap { i in blocks[i].norms.indices.map { \PlainMaskDecoder.blocks[i].norms[$0] } } + [\.finalNorm, \.upscaleNorm]
    }

    /// S-SAM on the same q and v projections LoRA adapts: each weight's SVD with trainable scale (1) and shift (0),
    /// and every layer norm's weight and bias trained. Throws when an SVD does not converge.
    public mutating func addSingularValueTuning() throws {
        for path in attentionPaths {
            for projection in [\AttentionLayer<S>.q, \AttentionLayer<S>.v] {
                let layer = self[keyPath: path][keyPath: projection]
                guard let tuning = SingularValueTuning(weight: layer.weight) else {
                    throw CheckpointError(layer.name, "the SVD of its weight did not converge")
                }
                self[keyPath: path][keyPath: projection].singularValues = tuning
                self[keyPath: path][keyPath: projection].recompose()
            }
        }
        for path in normPaths { self[keyPath: path].trains = true }
    }

    /// Visits everything that trains, in a fixed order: LoRA factors (NAME.lora_A, NAME.lora_B), the bottleneck adapters'
    /// layers (NAME.D_fc1.weight, .bias, NAME.D_fc2.weight, .bias), singular-value
    /// scales and shifts (NAME.svd_scale, NAME.svd_shift) and trained layer norms (NAME.weight, NAME.bias); a tuned
    /// weight whose scale or shift changed is recomposed (a visit that only reads costs no recomposition).
    public mutating func visitTrainable(_ body: (String, inout [S]) -> Void) {
        visitLoRA(body)
        visitAdapters(body)
        for path in attentionPaths {
            for projection in [\AttentionLayer<S>.q, \AttentionLayer<S>.v] where self[keyPath: path][keyPath: projection].singularValues != nil {
                let name = self[keyPath: path][keyPath: projection].name
                let before = self[keyPath: path][keyPath: projection].singularValues!
                body(name + ".svd_scale", &self[keyPath: path][keyPath: projection].singularValues!.scale)
                body(name + ".svd_shift", &self[keyPath: path][keyPath: projection].singularValues!.shift)
                let after = self[keyPath: path][keyPath: projection].singularValues!
                if after.scale != before.scale || after.shift != before.shift { self[keyPath: path][keyPath: projection].recompose() }
            }
        }
        for path in normPaths where self[keyPath: path].trains {
            body(self[keyPath: path].name + ".weight", &self[keyPath: path].weight)
            body(self[keyPath: path].name + ".bias", &self[keyPath: path].bias)
        }
    }
}

extension PlainMaskDecoder {
    /// Med-SA's bottleneck adapters (dim -> dim / 4 -> dim, GELU) after each block's three attentions and the final
    /// attention (added to the attention's output) and beside each block's MLP (scale 0.5); fc1 drawn from `seed` in
    /// a fixed order, fc2 zero, so the untrained adapters leave the model as it was.
    public mutating func addAdapters(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        typealias Names = CheckpointNames.TwoWayBlock
        for i in blocks.indices {
            let block = CheckpointNames.Decoder.block(i)
            func after(_ attention: String) -> BottleneckAdapter<S> {
                BottleneckAdapter(name: BlockAdapters<S>.attentionName(attention), dim: dim, skip: true, random: &random)
            }
            let selfAttention = after(Names.selfAttention(block)), tokenToImage = after(Names.tokenToImage(block))
            let mlp = BottleneckAdapter<S>(name: BlockAdapters<S>.mlpName(block), dim: dim, skip: false, scale: S(0.5), random: &random)
            blocks[i].adapters = BlockAdapters(selfAttention: selfAttention, tokenToImage: tokenToImage, mlp: mlp,
                                               imageToToken: after(Names.imageToToken(block)))
        }
        finalAdapter = BottleneckAdapter(name: BlockAdapters<S>.attentionName(CheckpointNames.Decoder.finalAttention), dim: dim,
                                         skip: true, random: &random)
    }

    /// Visits every adapter tensor, blocks in order then the final attention's.
    public mutating func visitAdapters(_ body: (String, inout [S]) -> Void) {
        for i in blocks.indices where blocks[i].adapters != nil { blocks[i].adapters!.visit(body) }
        if finalAdapter != nil { finalAdapter!.visit(body) }
    }

    /// Every adapter, in visiting order.
    public var bottleneckAdapters: [BottleneckAdapter<S>] {
        blocks.compactMap(\.adapters).flatMap(\.all) + (finalAdapter.map { [$0] } ?? [])
    }
}
