import Foundation

/// A 2-D similarity transform about a centre: scale, rotation (radians, counter-clockwise in pixel coordinates),
/// an optional horizontal flip, then a translation; maps source pixel centres to output pixel centres.
public struct SliceTransform: Sendable, Equatable {
    public var scale = 1.0, rotation = 0.0, flip = false
    /// The source point that lands on `target`.
    public var center: (x: Double, y: Double) = (0, 0)
    public var target: (x: Double, y: Double) = (0, 0)

    public init(scale: Double = 1, rotation: Double = 0, flip: Bool = false, center: (x: Double, y: Double), target: (x: Double, y: Double)) {
        (self.scale, self.rotation, self.flip, self.center, self.target) = (scale, rotation, flip, center, target)
    }

    public static func == (a: SliceTransform, b: SliceTransform) -> Bool {
        a.scale == b.scale && a.rotation == b.rotation && a.flip == b.flip && a.center == b.center && a.target == b.target
    }

    /// The source position of output pixel (x, y): the inverse transform.
    public func source(x: Double, y: Double) -> (x: Double, y: Double) {
        let (dx, dy) = ((x - target.x) / scale, (y - target.y) / scale)
        let (c, s) = (cos(rotation), sin(rotation))
        let (rx, ry) = (c * dx + s * dy, -s * dx + c * dy)
        return (center.x + (flip ? -rx : rx), center.y + ry)
    }
}

/// Resampling a slice through a SliceTransform onto an output grid: bilinear for images, nearest for masks;
/// outside the source, `fill` (images) or false (masks).
public enum SliceWarp {
    public static func image(_ slice: ImageSlice, _ transform: SliceTransform, width: Int, height: Int, fill: Float) -> ImageSlice {
        var out = [Float](repeating: fill, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                let p = transform.source(x: Double(x), y: Double(y))
                guard p.x > -1, p.y > -1, p.x < Double(slice.width), p.y < Double(slice.height) else { continue }
                let (x0, y0) = (Int(floor(p.x)), Int(floor(p.y)))
                let (fx, fy) = (Float(p.x - Double(x0)), Float(p.y - Double(y0)))
                func at(_ i: Int, _ j: Int) -> Float {
                    (0..<slice.width).contains(i) && (0..<slice.height).contains(j) ? slice.pixels[j * slice.width + i] : fill
                }
                let top = at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx
                let bottom = at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx
                out[y * width + x] = top * (1 - fy) + bottom * fy
            }
        }
        return ImageSlice(width: width, height: height, pixels: out)
    }

    public static func mask(_ mask: [Bool], width sw: Int, height sh: Int, _ transform: SliceTransform, width: Int, height: Int) -> [Bool] {
        precondition(mask.count == sw * sh, "mask must fill its grid")
        var out = [Bool](repeating: false, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                let p = transform.source(x: Double(x), y: Double(y))
                let (i, j) = (Int((p.x).rounded()), Int((p.y).rounded()))
                if (0..<sw).contains(i) && (0..<sh).contains(j) { out[y * width + x] = mask[j * sw + i] }
            }
        }
        return out
    }
}

/// A separable Gaussian blur (kernel radius 3 sigma, edges clamped); sigma 0 leaves the slice as it is.
public enum GaussianBlur {
    public static func blur(_ slice: ImageSlice, sigma: Double) -> ImageSlice {
        guard sigma > 0 else { return slice }
        let radius = max(1, Int(ceil(3 * sigma)))
        var kernel = (-radius...radius).map { Float(exp(-Double($0 * $0) / (2 * sigma * sigma))) }
        let total = kernel.reduce(0, +)
        kernel = kernel.map { $0 / total }
        let (w, h) = (slice.width, slice.height)
        var rows = [Float](repeating: 0, count: w * h), out = rows
        for y in 0..<h {
            for x in 0..<w {
                var sum: Float = 0
                for (k, weight) in kernel.enumerated() { sum += weight * slice.pixels[y * w + min(w - 1, max(0, x + k - radius))] }
                rows[y * w + x] = sum
            }
        }
        for y in 0..<h {
            for x in 0..<w {
                var sum: Float = 0
                for (k, weight) in kernel.enumerated() { sum += weight * rows[min(h - 1, max(0, y + k - radius)) * w + x] }
                out[y * w + x] = sum
            }
        }
        return ImageSlice(width: w, height: h, pixels: out)
    }
}
