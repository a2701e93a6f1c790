import Foundation

/// Resizing of 2-D slices.
public enum SliceResize {
    /// Bilinear resize with PyTorch's align_corners=False semantics (F.interpolate mode="bilinear").
    public static func bilinear(_ image: ImageSlice, width outWidth: Int, height outHeight: Int) -> ImageSlice {
        precondition(outWidth >= 1 && outHeight >= 1)
        let xs = sourceCoordinates(input: image.width, output: outWidth)
        let ys = sourceCoordinates(input: image.height, output: outHeight)
        var out = [Float](repeating: 0, count: outWidth * outHeight)
        image.pixels.withUnsafeBufferPointer { src in
            for (oy, y) in ys.enumerated() {
                let row0 = y.i0 * image.width, row1 = y.i1 * image.width
                for (ox, x) in xs.enumerated() {
                    let top = src[row0 + x.i0] * (1 - x.t) + src[row0 + x.i1] * x.t
                    let bottom = src[row1 + x.i0] * (1 - x.t) + src[row1 + x.i1] * x.t
                    out[oy * outWidth + ox] = top * (1 - y.t) + bottom * y.t
                }
            }
        }
        return ImageSlice(width: outWidth, height: outHeight, pixels: out)
    }

    /// For each output index: the two input neighbours and the weight of the second (torch's
    /// area_pixel_compute_source_index with align_corners=False).
    static func sourceCoordinates(input: Int, output: Int) -> [(i0: Int, i1: Int, t: Float)] {
        let scale = Float(input) / Float(output)
        return (0..<output).map { o in
            let src = max(scale * (Float(o) + 0.5) - 0.5, 0)
            let i0 = min(Int(src), input - 1)
            let i1 = min(i0 + 1, input - 1)
            return (i0, i1, src - Float(i0))
        }
    }
}
