import Foundation

/// One legend entry: a label's colour swatch, its id and name, and its volume in the label map drawn.
public struct LegendEntry: Equatable {
    public let label: Int
    public let name: String?
    public let volumeMM3: Double

    public init(label: Int, name: String?, volumeMM3: Double) {
        (self.label, self.name, self.volumeMM3) = (label, name, volumeMM3)
    }

    /// "1 spleen 152,340 mm3".
    public var text: String { text(nameLength: name?.count ?? 0) }

    /// The text with the name cut to `nameLength` characters (".." marking a cut).
    func text(nameLength: Int) -> String {
        let formatter = NumberFormatter()
        formatter.numberStyle = .decimal
        formatter.maximumFractionDigits = 0
        formatter.locale = Locale(identifier: "en_US")
        let volume = formatter.string(from: NSNumber(value: volumeMM3.rounded())) ?? String(Int(volumeMM3.rounded()))
        let shown = name.map { $0.count <= nameLength ? $0 : String($0.prefix(max(0, nameLength - 2))) + ".." }
        return "\(label) " + (shown.map { "\($0) " } ?? "") + "\(volume) mm3"
    }

    /// An entry per label present in `labels` (row-major voxels), in label order, with its volume from the voxel size.
    public static func entries(labels: [Float], voxelMM3: Double, names: [Int: String]) -> [LegendEntry] {
        var counts: [Int: Int] = [:]
        for v in labels where v > 0 { counts[Int(v), default: 0] += 1 }
        return counts.keys.sorted().map { LegendEntry(label: $0, name: names[$0], volumeMM3: Double(counts[$0]!) * voxelMM3) }
    }
}

/// Lays out and draws legend entries in lines under an image: swatch, then text, entries wrapped to the width.
enum Legend {
    /// Font pixel size: 2 for images at least 400 pixels wide, else 1.
    static func scale(forWidth width: Int) -> Int { width >= 400 ? 2 : 1 }

    /// Each entry's left edge and line, and the number of lines.
    static func layout(_ entries: [LegendEntry], width: Int, scale: Int) -> (places: [(x: Int, line: Int)], lines: Int) {
        let margin = 4 * scale, gap = 3 * BitmapFont.advance * scale
        var places: [(x: Int, line: Int)] = [], x = margin, line = 0
        for entry in entries {
            let w = min(entryWidth(entry, scale: scale), width - 2 * margin)
            if x > margin && x + w > width - margin { (x, line) = (margin, line + 1) }
            places.append((x, line))
            x += w + gap
        }
        return (places, entries.isEmpty ? 0 : line + 1)
    }

    static func entryWidth(_ entry: LegendEntry, scale: Int) -> Int {
        (BitmapFont.height + BitmapFont.advance) * scale + BitmapFont.width(of: entry.text, scale: scale)
    }

    /// The entry's text with its name shortened (".." marking the cut) to fit `width` pixels from its swatch on.
    static func fitted(_ entry: LegendEntry, width: Int, scale: Int) -> String {
        let room = (width - 8 * scale - (BitmapFont.height + BitmapFont.advance) * scale) / (BitmapFont.advance * scale)
        let full = entry.text
        guard full.count > room, let name = entry.name else { return full }
        return entry.text(nameLength: max(3, name.count - (full.count - room)))
    }

    static func lineHeight(scale: Int) -> Int { (BitmapFont.height + 5) * scale }

    /// Pixels the legend needs below an image `width` wide (0 without entries).
    static func height(_ entries: [LegendEntry], width: Int) -> Int {
        let scale = scale(forWidth: width)
        let lines = layout(entries, width: width, scale: scale).lines
        return lines == 0 ? 0 : lines * lineHeight(scale: scale) + 4 * scale
    }

    /// Draws the entries from row `top` of the canvas.
    static func draw(_ entries: [LegendEntry], on canvas: inout RGBCanvas, top: Int) {
        let scale = scale(forWidth: canvas.width)
        let (places, _) = layout(entries, width: canvas.width, scale: scale)
        for (entry, place) in zip(entries, places) {
            let y = top + 4 * scale + place.line * lineHeight(scale: scale)
            canvas.fill(x: place.x, y: y, width: BitmapFont.height * scale, height: BitmapFont.height * scale, color: LabelColors.rgb(entry.label))
            canvas.write(fitted(entry, width: canvas.width, scale: scale), x: place.x + (BitmapFont.height + BitmapFont.advance) * scale, y: y, scale: scale, color: (255, 255, 255))
        }
    }
}
