import Foundation

/// Where every parameter of a LiteMedSAM checkpoint lives (its PyTorch state_dict names), in one table: the
/// initializers take module paths from here, and the layer types add only PyTorch's leaf names (`.weight`,
/// `.bias`; `.c.weight` and `.bn.*` for TinyViT's Conv2d_BN). Adapter files name their target layers by the
/// same paths.
public enum CheckpointNames {
    /// TinyViT, the image encoder.
    public enum Encoder {
        static let root = "image_encoder."
        /// The two 1x1 Conv2d_BN of the patch embedding (seq.0 and seq.2; seq.1 is the GELU).
        public static func patchEmbed(_ index: Int) -> String { root + "patch_embed.seq.\(index)" }
        /// Block `block` of stage `stage` (stage 0: MBConv blocks; stages 1...3: TinyViT blocks).
        public static func block(stage: Int, block: Int) -> String { root + "layers.\(stage).blocks.\(block)" }
        /// The patch merging at the end of stage `stage` (into stage + 1).
        public static func downsample(stage: Int) -> String { root + "layers.\(stage).downsample" }
        /// The neck: 0 conv 1x1, 1 LayerNorm2d, 2 conv 3x3, 3 LayerNorm2d.
        public static func neck(_ index: Int) -> String { root + "neck.\(index)" }
    }

    /// Inside a MBConv or patch-merging block: its three Conv2d_BN.
    public static func conv(_ block: String, _ index: Int) -> String { block + ".conv\(index)" }

    /// Inside a TinyViT block.
    public enum TinyViTBlock {
        public static func attentionNorm(_ block: String) -> String { block + ".attn.norm" }
        /// qkv: [3 * dim, dim], interleaved per head ([q k v] for head 0, then head 1, ...).
        public static func qkv(_ block: String) -> String { block + ".attn.qkv" }
        public static func projection(_ block: String) -> String { block + ".attn.proj" }
        /// The learned relative-position biases [heads, offsets] (a tensor, not a module).
        public static func attentionBiases(_ block: String) -> String { block + ".attn.attention_biases" }
        public static func localConv(_ block: String) -> String { block + ".local_conv" }
        public static func mlpNorm(_ block: String) -> String { block + ".mlp.norm" }
        public static func mlp(_ block: String, _ index: Int) -> String { block + ".mlp.fc\(index)" }
    }

    /// SAM's prompt encoder (full tensor names where a parameter is not a module's weight).
    public enum PromptEncoder {
        static let root = "prompt_encoder."
        public static let gaussian = root + "pe_layer.positional_encoding_gaussian_matrix"
        /// 0 negative point, 1 positive point, 2 and 3 the box corners.
        public static func pointEmbedding(_ index: Int) -> String { root + "point_embeddings.\(index)" }
        public static let notAPoint = root + "not_a_point_embed"
        public static let noMask = root + "no_mask_embed"
        /// The dense mask prompt's downscaling: 0 conv, 1 LayerNorm2d, 3 conv, 4 LayerNorm2d, 6 conv 1x1.
        public static func maskDownscaling(_ index: Int) -> String { root + "mask_downscaling.\(index)" }
    }

    /// SAM's mask decoder.
    public enum Decoder {
        static let root = "mask_decoder."
        public static let iouToken = root + "iou_token"
        public static let maskTokens = root + "mask_tokens"
        /// Two-way transformer block `index`.
        public static func block(_ index: Int) -> String { root + "transformer.layers.\(index)" }
        public static let finalAttention = root + "transformer.final_attn_token_to_image"
        public static let finalNorm = root + "transformer.norm_final_attn"
        /// 0 transposed conv, 1 LayerNorm2d, 3 transposed conv.
        public static func upscaling(_ index: Int) -> String { root + "output_upscaling.\(index)" }
        public static func hypernetwork(_ index: Int) -> String { root + "output_hypernetworks_mlps.\(index)" }
        public static let iouHead = root + "iou_prediction_head"
    }

    /// Inside a two-way transformer block.
    public enum TwoWayBlock {
        public static func selfAttention(_ block: String) -> String { block + ".self_attn" }
        public static func tokenToImage(_ block: String) -> String { block + ".cross_attn_token_to_image" }
        public static func imageToToken(_ block: String) -> String { block + ".cross_attn_image_to_token" }
        /// norm1 after self attention, norm2 after token-to-image, norm3 after the MLP, norm4 after image-to-token.
        public static func norm(_ block: String, _ index: Int) -> String { block + ".norm\(index)" }
        public static func mlp(_ block: String, _ index: Int) -> String { block + ".mlp.lin\(index)" }
    }

    /// Inside one of SAM's attentions: q_proj, k_proj, v_proj, out_proj.
    public enum Attention {
        public static func projection(_ attention: String, _ name: String) -> String { attention + ".\(name)_proj" }
    }

    /// Layer `index` of one of SAM's MLPs (hypernetworks, IoU head).
    public static func mlpLayer(_ mlp: String, _ index: Int) -> String { mlp + ".layers.\(index)" }
}
