import Foundation

/// OpenCV's cv2.resize(..., interpolation=INTER_AREA) on a single-channel float image: pixel-area averaging when
/// shrinking along both axes, otherwise OpenCV's INTER_AREA interpolation weights (bilinear-like, as it does for
/// enlarging). Separable: each output pixel is a weighted sum over rows of weighted sums over columns.
public enum AreaResize {
    /// One output index: the source indices and weights that make it.
    struct Taps {
        var indices: [Int] = []
        var weights: [Float] = []
    }

    public static func resize(_ image: ImageSlice, width outWidth: Int, height outHeight: Int) -> ImageSlice {
        let scaleX = Double(image.width) / Double(outWidth), scaleY = Double(image.height) / Double(outHeight)
        let shrinking = scaleX >= 1 && scaleY >= 1
        let xs = shrinking ? areaTaps(input: image.width, output: outWidth, scale: scaleX)
            : interpolationTaps(input: image.width, output: outWidth)
        let ys = shrinking ? areaTaps(input: image.height, output: outHeight, scale: scaleY)
            : interpolationTaps(input: image.height, output: outHeight)
        var rows = [Float](repeating: 0, count: image.height * outWidth)  // columns resized first
        image.pixels.withUnsafeBufferPointer { src in
            for r in 0..<image.height {
                for (x, tap) in xs.enumerated() {
                    var sum: Float = 0
                    for (i, w) in zip(tap.indices, tap.weights) { sum += src[r * image.width + i] * w }
                    rows[r * outWidth + x] = sum
                }
            }
        }
        var out = [Float](repeating: 0, count: outHeight * outWidth)
        for (y, tap) in ys.enumerated() {
            for (i, w) in zip(tap.indices, tap.weights) {
                for x in 0..<outWidth { out[y * outWidth + x] += rows[i * outWidth + x] * w }
            }
        }
        return ImageSlice(width: outWidth, height: outHeight, pixels: out)
    }

    /// OpenCV's computeResizeAreaTab: the fraction of each source cell covered by each destination cell.
    static func areaTaps(input: Int, output: Int, scale: Double) -> [Taps] {
        (0..<output).map { d in
            var tap = Taps()
            let fsx1 = Double(d) * scale, fsx2 = fsx1 + scale
            let cellWidth = min(scale, Double(input) - fsx1)
            var sx1 = Int(fsx1.rounded(.up)), sx2 = Int(fsx2.rounded(.down))
            sx2 = min(sx2, input - 1)
            sx1 = min(sx1, sx2)
            if Double(sx1) - fsx1 > 1e-3 {
                tap.indices.append(sx1 - 1)
                tap.weights.append(Float((Double(sx1) - fsx1) / cellWidth))
            }
            for s in sx1..<max(sx1, sx2) {
                tap.indices.append(s)
                tap.weights.append(Float(1.0 / cellWidth))
            }
            if fsx2 - Double(sx2) > 1e-3 {
                tap.indices.append(sx2)
                tap.weights.append(Float(min(min(fsx2 - Double(sx2), 1), cellWidth) / cellWidth))
            }
            return tap
        }
    }

    /// OpenCV's INTER_AREA coefficients when not shrinking along both axes (cv::resize's area_mode branch).
    static func interpolationTaps(input: Int, output: Int) -> [Taps] {
        let inverseScale = Double(output) / Double(input), scale = 1 / inverseScale
        return (0..<output).map { d in
            var sx = Int((Double(d) * scale).rounded(.down))
            var fx = Float(Double(d + 1) - Double(sx + 1) * inverseScale)
            fx = fx <= 0 ? 0 : fx - fx.rounded(.down)
            if sx < 0 { (fx, sx) = (0, 0) }
            if sx >= input - 1 { (fx, sx) = (0, input - 1) }
            return Taps(indices: [sx, min(sx + 1, input - 1)], weights: [1 - fx, fx])
        }
    }
}
