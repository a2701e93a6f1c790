import Foundation
import Tensor

/// A Med-SA bottleneck adapter in the engine (from an adapter file of method "adapter", merged into the weights as
/// extra tensors): fc2(GELU(fc1(x))), 256 -> 64 -> 256, added to its input after an attention (`skip`) or scaled
/// beside an MLP. The plain decoder's BottleneckAdapter is its reference.
struct EngineAdapter {
    let fc1: Dense, fc2: Dense
    let skip: Bool, scale: Float

    /// The adapter NAME when the weights hold it (NAME.D_fc1.weight), else nil.
    init?(_ store: ParameterStore, _ name: String, skip: Bool, scale: Float = 1, keepPacked: Bool = true) {
        guard store.contains(BottleneckAdapter<Float>.fc1(name) + ".weight") else { return nil }
        fc1 = Dense(store, BottleneckAdapter<Float>.fc1(name), in: 256, out: 64, keepPacked: keepPacked)
        fc2 = Dense(store, BottleneckAdapter<Float>.fc2(name), in: 64, out: 256, keepPacked: keepPacked)
        (self.skip, self.scale) = (skip, scale)
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        var hidden = fc1(x)
        Elementwise.gelu(&hidden.data)
        var y = fc2(hidden)
        for i in y.data.indices { y.data[i] = scale * y.data[i] + (skip ? x.data[i] : 0) }
        return y
    }
}

/// A two-way block's adapters: after its self attention, token-to-image and image-to-token attentions, beside its
/// MLP (scale 0.5); all four or none.
struct BlockEngineAdapters {
    let selfAttention: EngineAdapter, tokenToImage: EngineAdapter, mlp: EngineAdapter, imageToToken: EngineAdapter

    init?(_ store: ParameterStore, _ block: String) {
        typealias Names = CheckpointNames.TwoWayBlock
        let name = BlockAdapters<Float>.attentionName
        guard let selfAttention = EngineAdapter(store, name(Names.selfAttention(block)), skip: true),
              let tokenToImage = EngineAdapter(store, name(Names.tokenToImage(block)), skip: true),
              let mlp = EngineAdapter(store, BlockAdapters<Float>.mlpName(block), skip: false, scale: 0.5),
              let imageToToken = EngineAdapter(store, name(Names.imageToToken(block)), skip: true, keepPacked: false) else { return nil }
        (self.selfAttention, self.tokenToImage, self.mlp, self.imageToToken) = (selfAttention, tokenToImage, mlp, imageToToken)
    }
}
