import Foundation
import Imaging
import Volume

/// Draws normalized axial slices (radiological display: anterior up, patient right on the left) as images or text.
public enum SliceRenderer {
    /// RGB bytes of a [0, 1] slice, with label pixels tinted by label colour (alpha 0.45) when labels are given.
    public static func rgb(_ image: ImageSlice, labels: ImageSlice? = nil) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: image.width * image.height * 3)
        for p in 0..<(image.width * image.height) {
            let grey = Double(min(max(image.pixels[p], 0), 1)) * 255
            var rgb = (grey, grey, grey)
            if let labels, labels.pixels[p] > 0 {
                let c = color(for: Int(labels.pixels[p]))
                rgb = (grey * 0.55 + c.0 * 0.45, grey * 0.55 + c.1 * 0.45, grey * 0.55 + c.2 * 0.45)
            }
            out[p * 3] = UInt8(rgb.0.rounded())
            out[p * 3 + 1] = UInt8(rgb.1.rounded())
            out[p * 3 + 2] = UInt8(rgb.2.rounded())
        }
        return out
    }

    /// A PNG of the slice (and label overlay).
    public static func png(_ image: ImageSlice, labels: ImageSlice? = nil) -> Data {
        PNGEncoder.encode(width: image.width, height: image.height, channels: 3, pixels: rgb(image, labels: labels))
    }

    /// A text rendering `columns` characters wide (two rows per character cell height); labels shown as digits/letters.
    public static func text(_ image: ImageSlice, labels: ImageSlice? = nil, columns: Int = 72) -> String {
        let ramp = Array(" .:-=+*#%@")
        let cellWidth = Double(image.width) / Double(columns)
        let cellHeight = cellWidth * 2
        let rows = max(1, Int(Double(image.height) / cellHeight))
        var lines: [String] = []
        for r in 0..<rows {
            var line = ""
            for c in 0..<columns {
                let y = min(image.height - 1, Int((Double(r) + 0.5) * cellHeight))
                let x = min(image.width - 1, Int((Double(c) + 0.5) * cellWidth))
                if let labels, labels[y, x] > 0 {
                    line.append(labelSymbol(Int(labels[y, x])))
                } else {
                    let v = min(max(Double(image[y, x]), 0), 1)
                    line.append(ramp[min(ramp.count - 1, Int(v * Double(ramp.count)))])
                }
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    static func labelSymbol(_ label: Int) -> Character {
        let symbols = Array("123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        return symbols[(label - 1) % symbols.count]
    }

    static func color(for label: Int) -> (Double, Double, Double) {
        let palette: [(Double, Double, Double)] = [
            (230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200), (245, 130, 48), (145, 30, 180),
            (70, 240, 240), (240, 50, 230), (210, 245, 60), (250, 190, 212), (0, 128, 128), (220, 190, 255),
        ]
        return palette[(label - 1) % palette.count]
    }
}
