import Foundation
import Imaging
import Volume

/// One image to draw with its label overlay and, to compare against, a reference label map's.
public struct Panel {
    public let image: ImageSlice
    public let overlay: ImageSlice?
    public let reference: ImageSlice?

    public init(image: ImageSlice, overlay: ImageSlice? = nil, reference: ImageSlice? = nil) {
        self.image = image
        self.overlay = overlay
        self.reference = reference
    }
}

/// Draws normalized slices (radiological display) as images or text.
public enum SliceRenderer {
    /// RGB bytes of a [0, 1] slice, with label pixels tinted by label colour (alpha 0.45) when labels are given, or
    /// only their outlines drawn in full colour with `outline`; a reference's outlines are drawn white under the
    /// labels' (then always outlines), so white shows where the reference's edge is not the prediction's.
    public static func rgb(_ image: ImageSlice, labels: ImageSlice? = nil, outline: Bool = false,
                           reference: ImageSlice? = nil) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: image.width * image.height * 3)
        let edges = outline || reference != nil ? labels.map(outlinePixels) : nil
        let referenceEdges = reference.map(outlinePixels) ?? []
        for p in 0..<(image.width * image.height) {
            let grey = Double(min(max(image.pixels[p], 0), 1)) * 255
            var rgb = (grey, grey, grey)
            if referenceEdges.contains(p) { rgb = (255, 255, 255) }
            if let labels, labels.pixels[p] > 0 {
                let c = color(for: Int(labels.pixels[p]))
                if let edges {
                    if edges.contains(p) { rgb = c }
                } else {
                    rgb = (grey * 0.55 + c.0 * 0.45, grey * 0.55 + c.1 * 0.45, grey * 0.55 + c.2 * 0.45)
                }
            }
            out[p * 3] = UInt8(rgb.0.rounded())
            out[p * 3 + 1] = UInt8(rgb.1.rounded())
            out[p * 3 + 2] = UInt8(rgb.2.rounded())
        }
        return out
    }

    /// Labelled pixels with a 4-neighbour of another value or outside the image.
    public static func outlinePixels(_ labels: ImageSlice) -> Set<Int> {
        var edges = Set<Int>()
        for y in 0..<labels.height {
            for x in 0..<labels.width where labels[y, x] > 0 {
                let v = labels[y, x]
                let boundary = x == 0 || y == 0 || x == labels.width - 1 || y == labels.height - 1
                    || labels[y, x - 1] != v || labels[y, x + 1] != v || labels[y - 1, x] != v || labels[y + 1, x] != v
                if boundary { edges.insert(y * labels.width + x) }
            }
        }
        return edges
    }

    /// RGB panels side by side (tops aligned, `gap` black pixels between, black below shorter ones) as one PNG, with
    /// the legend's entries below.
    public static func png(panels: [Panel], outline: Bool = false, legend: [LegendEntry] = [], gap: Int = 4) -> Data {
        canvas(grid: [panels], outline: outline, legend: legend, gap: gap).png
    }

    /// Rows of RGB panels (each row as tall as its tallest panel, `gap` black pixels between panels and rows), with
    /// the legend's entries below and each row's caption (if any) in its top left corner.
    public static func png(grid: [[Panel]], outline: Bool = false, legend: [LegendEntry] = [], captions: [String] = [],
                           gap: Int = 4) -> Data {
        canvas(grid: grid, outline: outline, legend: legend, captions: captions, gap: gap).png
    }

    public static func canvas(grid: [[Panel]], outline: Bool = false, legend: [LegendEntry] = [], captions: [String] = [],
                              gap: Int = 4) -> RGBCanvas {
        let rowWidths = grid.map { $0.map(\.image.width).reduce(0, +) + gap * max(0, $0.count - 1) }
        let rowHeights = grid.map { $0.map(\.image.height).max() ?? 0 }
        let width = max(1, rowWidths.max() ?? 1)
        let imageHeight = rowHeights.reduce(0, +) + gap * max(0, grid.count - 1)
        var canvas = RGBCanvas(width: width, height: imageHeight + Legend.height(legend, width: width))
        var top = 0
        for (r, row) in grid.enumerated() {
            var left = 0
            for panel in row {
                canvas.paste(rgb(panel.image, labels: panel.overlay, outline: outline, reference: panel.reference),
                             imageWidth: panel.image.width, x: left, y: top)
                left += panel.image.width + gap
            }
            if r < captions.count, !captions[r].isEmpty {
                canvas.fill(x: 0, y: top, width: BitmapFont.width(of: captions[r], scale: 1) + 4, height: BitmapFont.height + 4, color: (0, 0, 0))
                canvas.write(captions[r], x: 2, y: top + 2, scale: 1, color: (255, 255, 255))
            }
            top += rowHeights[r] + gap
        }
        Legend.draw(legend, on: &canvas, top: imageHeight)
        return canvas
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
        let (r, g, b) = LabelColors.rgb(label)
        return (Double(r), Double(g), Double(b))
    }
}
