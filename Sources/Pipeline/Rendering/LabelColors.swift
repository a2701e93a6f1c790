import Foundation

/// The fixed label colour table (label 1 the first colour, cycling after 12) shared by the PNG overlays, the
/// label-map JSON written beside a segmentation and the HTML reports, so a label has one colour everywhere.
public enum LabelColors {
    static let table: [(UInt8, UInt8, UInt8)] = [
        (230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200), (245, 130, 48), (145, 30, 180),
        (70, 240, 240), (240, 50, 230), (210, 245, 60), (250, 190, 212), (0, 128, 128), (220, 190, 255),
    ]

    /// The label's colour as 0-255 components.
    public static func rgb(_ label: Int) -> (UInt8, UInt8, UInt8) {
        table[((label - 1) % table.count + table.count) % table.count]
    }

    /// The label's colour as "#rrggbb".
    public static func hex(_ label: Int) -> String {
        let (r, g, b) = rgb(label)
        return String(format: "#%02x%02x%02x", r, g, b)
    }
}
