import Foundation
import Imaging
import Tensor

/// One slice in a model's square frame, by the LiteMedSAM slice protocol (CVPR24_LiteMedSAM_infer.py), kept in
/// this one place for the engine and the pipeline: longest side resized to the frame with INTER_AREA, per-slice
/// min-max after the resize (epsilon 1e-8), zero padding at bottom/right; boxes and points scaled into the frame;
/// the next slice's propagation box; low-resolution logits upsampled back to the slice.
public struct PreparedSlice: Sendable {
    /// Side of the model's frame (ModelSpec.frameSize).
    public let frame: Int
    /// [frame, frame, 3] channels-last, the slice repeated over 3 channels.
    public let input: Tensor
    public let originalWidth: Int, originalHeight: Int
    public let resizedWidth: Int, resizedHeight: Int

    /// `slice` holds intensities scaled to [0, 255] (the Volume layer's normalization times 255).
    public init(_ slice: ImageSlice, frame: Int) {
        self.frame = frame
        originalWidth = slice.width
        originalHeight = slice.height
        let scale = Double(frame) / Double(max(slice.width, slice.height))
        resizedWidth = Int(Double(slice.width) * scale + 0.5)
        resizedHeight = Int(Double(slice.height) * scale + 0.5)
        let resized = AreaResize.resize(slice, width: resizedWidth, height: resizedHeight)
        let lo = resized.pixels.min() ?? 0, hi = resized.pixels.max() ?? 0
        let span = max(hi - lo, 1e-8)
        var data = [Float](repeating: 0, count: frame * frame * 3)
        for y in 0..<resizedHeight {
            for x in 0..<resizedWidth {
                let v = (resized.pixels[y * resizedWidth + x] - lo) / span
                let p = (y * frame + x) * 3
                data[p] = v
                data[p + 1] = v
                data[p + 2] = v
            }
        }
        input = Tensor(shape: [frame, frame, 3], data: data)
    }

    /// Slice pixels to frame pixels.
    var ratio: Double { Double(frame) / Double(max(originalWidth, originalHeight)) }

    /// A box (x0, y0, x1, y1) in slice pixels to the model frame: scaled, truncated (the reference's
    /// resize_box_to_256).
    public func modelBox(_ box: [Double]) -> [Float] {
        box.map { Float(Int($0 * ratio)) }
    }

    /// A point in slice pixels to the model frame (scaled, not truncated).
    public func modelPoint(x: Double, y: Double) -> (Float, Float) {
        (Float(x * ratio), Float(y * ratio))
    }

    /// Pixels the propagation box is widened by on each side (the reference's bbox_shift).
    public static let propagationMargin = 3

    /// The 3-D protocol's box for the next slice (get_bbox256): the previous slice's mask resized into the frame
    /// with INTER_AREA (a pixel is set when at least half of it is covered), its bounding box widened by
    /// `propagationMargin` and clamped to 0...frame. Nil when the resized mask is empty.
    public func propagationBox(previousMask mask: [Bool]) -> [Float]? {
        guard let b = frameBounds(of: mask) else { return nil }
        let margin = Float(Self.propagationMargin)
        return [max(0, b[0] - margin), max(0, b[1] - margin), min(Float(frame), b[2] + margin), min(Float(frame), b[3] + margin)]
    }

    /// The bounding box (x0, y0, x1, y1, inclusive frame pixels) of a slice mask resized into the frame with
    /// INTER_AREA (a pixel is set when at least half of it is covered); nil when that is empty.
    public func frameBounds(of mask: [Bool]) -> [Float]? {
        precondition(mask.count == originalWidth * originalHeight)
        guard mask.contains(true) else { return nil }
        let image = ImageSlice(width: originalWidth, height: originalHeight, pixels: mask.map { $0 ? 1 : 0 })
        let resized = AreaResize.resize(image, width: resizedWidth, height: resizedHeight)
        var x0 = Int.max, y0 = Int.max, x1 = -1, y1 = -1
        for y in 0..<resizedHeight {
            for x in 0..<resizedWidth where resized.pixels[y * resizedWidth + x] >= 0.5 {
                x0 = min(x0, x)
                x1 = max(x1, x)
                y0 = min(y0, y)
                y1 = max(y1, y)
            }
        }
        guard x1 >= 0 else { return nil }
        return [x0, y0, x1, y1].map(Float.init)
    }

    /// A slice mask in the frame, as the protocol's training targets are made: nearest-neighbour resize to the resized
    /// size (cv2.INTER_NEAREST: source index floor(i * in / out)), zero padding at bottom/right; 0/1 values.
    public func frameMask(_ mask: [Bool]) -> [Float] {
        precondition(mask.count == originalWidth * originalHeight)
        var out = [Float](repeating: 0, count: frame * frame)
        for y in 0..<resizedHeight {
            let sy = min(originalHeight - 1, y * originalHeight / resizedHeight)
            for x in 0..<resizedWidth where mask[sy * originalWidth + min(originalWidth - 1, x * originalWidth / resizedWidth)] {
                out[y * frame + x] = 1
            }
        }
        return out
    }

    /// Low-res logits [frame, frame] to full-resolution logits: crop the padding, bilinear upsampling
    /// (align_corners=False) to the slice size. The mask is logits > 0.
    public func upsample(_ logits: Tensor) -> ImageSlice {
        var cropped = [Float](repeating: 0, count: resizedWidth * resizedHeight)
        for y in 0..<resizedHeight {
            for x in 0..<resizedWidth { cropped[y * resizedWidth + x] = logits.data[y * frame + x] }
        }
        return SliceResize.bilinear(ImageSlice(width: resizedWidth, height: resizedHeight, pixels: cropped),
                                    width: originalWidth, height: originalHeight)
    }
}
