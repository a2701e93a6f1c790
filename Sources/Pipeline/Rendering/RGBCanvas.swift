import Foundation

/// An RGB image being composed (black to start): panels pasted in, rectangles filled, text written in the bitmap
/// font; encoded as PNG at the end.
public struct RGBCanvas {
    public let width: Int, height: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int) {
        (self.width, self.height) = (max(1, width), max(1, height))
        pixels = [UInt8](repeating: 0, count: self.width * self.height * 3)
    }

    /// The colour of pixel (x, y).
    public subscript(x: Int, y: Int) -> (UInt8, UInt8, UInt8) {
        let i = (y * width + x) * 3
        return (pixels[i], pixels[i + 1], pixels[i + 2])
    }

    /// Copies an RGB image of `imageWidth` columns with its top left corner at (x, y), clipped to the canvas.
    mutating func paste(_ rgb: [UInt8], imageWidth: Int, x: Int, y: Int) {
        let rows = rgb.count / (imageWidth * 3), columns = min(imageWidth, width - x)
        guard columns > 0 else { return }
        for row in 0..<min(rows, height - y) {
            let source = row * imageWidth * 3, target = ((y + row) * width + x) * 3
            pixels.replaceSubrange(target..<(target + columns * 3), with: rgb[source..<(source + columns * 3)])
        }
    }

    /// Fills a rectangle, clipped to the canvas.
    mutating func fill(x: Int, y: Int, width w: Int, height h: Int, color: (UInt8, UInt8, UInt8)) {
        let (x0, x1, y0, y1) = (max(0, x), min(width, x + w), max(0, y), min(height, y + h))
        guard x0 < x1, y0 < y1 else { return }
        for row in y0..<y1 {
            for column in x0..<x1 {
                let i = (row * width + column) * 3
                (pixels[i], pixels[i + 1], pixels[i + 2]) = color
            }
        }
    }

    /// `text` in the 5x7 font, each font pixel `scale` x `scale`, its top left corner at (x, y).
    mutating func write(_ text: String, x: Int, y: Int, scale: Int, color: (UInt8, UInt8, UInt8)) {
        for (i, character) in text.enumerated() {
            for gy in 0..<BitmapFont.height {
                for gx in 0..<BitmapFont.width where BitmapFont.isSet(character, x: gx, y: gy) {
                    fill(x: x + (i * BitmapFont.advance + gx) * scale, y: y + gy * scale, width: scale, height: scale, color: color)
                }
            }
        }
    }

    public var png: Data { PNGEncoder.encode(width: width, height: height, channels: 3, pixels: pixels) }
}
