import Foundation
import Tensor
import Volume

/// A slice made ready for the encoder as the reference protocol does (CVPR24_LiteMedSAM_infer.py): longest side to
/// 256 with INTER_AREA, per-slice min-max after the resize (epsilon 1e-8), zero padding at bottom/right.
public struct PreparedSlice: Sendable {
    /// [256, 256, 3] channels-last, the slice repeated over 3 channels.
    public let input: Tensor
    public let originalWidth: Int, originalHeight: Int
    public let resizedWidth: Int, resizedHeight: Int

    /// `slice` holds intensities scaled to [0, 255] (the Volume layer's normalization times 255).
    public init(_ slice: ImageSlice) {
        originalWidth = slice.width
        originalHeight = slice.height
        let scale = 256.0 / Double(max(slice.width, slice.height))
        resizedWidth = Int(Double(slice.width) * scale + 0.5)
        resizedHeight = Int(Double(slice.height) * scale + 0.5)
        let resized = AreaResize.resize(slice, width: resizedWidth, height: resizedHeight)
        let lo = resized.pixels.min() ?? 0, hi = resized.pixels.max() ?? 0
        let span = max(hi - lo, 1e-8)
        var data = [Float](repeating: 0, count: 256 * 256 * 3)
        for y in 0..<resizedHeight {
            for x in 0..<resizedWidth {
                let v = (resized.pixels[y * resizedWidth + x] - lo) / span
                let p = (y * 256 + x) * 3
                data[p] = v
                data[p + 1] = v
                data[p + 2] = v
            }
        }
        input = Tensor(shape: [256, 256, 3], data: data)
    }

    /// A box (x0, y0, x1, y1) in slice pixels to the model frame: times 256/max(H, W), truncated (the reference's
    /// resize_box_to_256).
    public func modelBox(_ box: [Double]) -> [Float] {
        let ratio = 256.0 / Double(max(originalWidth, originalHeight))
        return box.map { Float(Int($0 * ratio)) }
    }

    /// A point in slice pixels to the model frame (times 256/max(H, W), not truncated).
    public func modelPoint(x: Double, y: Double) -> (Float, Float) {
        let ratio = 256.0 / Double(max(originalWidth, originalHeight))
        return (Float(x * ratio), Float(y * ratio))
    }

    /// Low-res logits [256, 256] to full-resolution logits: crop the padding, bilinear upsampling
    /// (align_corners=False) to the slice size. The mask is logits > 0.
    public func upsample(_ logits: Tensor) -> ImageSlice {
        var cropped = [Float](repeating: 0, count: resizedWidth * resizedHeight)
        for y in 0..<resizedHeight {
            for x in 0..<resizedWidth { cropped[y * resizedWidth + x] = logits.data[y * 256 + x] }
        }
        return SliceResize.bilinear(ImageSlice(width: resizedWidth, height: resizedHeight, pixels: cropped),
                                    width: originalWidth, height: originalHeight)
    }
}
