import Foundation
import Imaging
import Volume

/// `volsam preview --montage N`: per label, N evenly spaced axial slices through its extent (without labels, through
/// the volume), one row per label, with square display pixels.
public struct Montage {
    /// One row: the label (nil without labels) and its slices with their images and overlays.
    public struct Row {
        public let label: Int?
        public let slices: [Int]
        public let panels: [Panel]
    }

    public let rows: [Row]

    /// `volume`: normalized; `labels` and `reference`: on the same canonical grid (rows follow `labels`).
    public init(volume: CanonicalVolume, labels: CanonicalVolume?, reference: CanonicalVolume? = nil, count: Int) {
        let pixelMM = min(volume.spacing.x, volume.spacing.y)
        func panel(_ k: Int) -> Panel {
            let square = { (i: ImageSlice) in
                SquarePixels.resample(i, columnMM: volume.spacing.x, rowMM: volume.spacing.y, pixelMM: pixelMM)
            }
            return Panel(image: square(volume.slice(k)), overlay: labels.map { square($0.slice(k)) },
                         reference: reference.map { square($0.slice(k)) })
        }
        let extents = labels.map(Self.axialExtents) ?? [:]
        if extents.isEmpty {
            let slices = Self.slices(through: 0...(volume.sliceCount - 1), count: count)
            rows = [Row(label: nil, slices: slices, panels: slices.map(panel))]
        } else {
            rows = extents.keys.sorted().map { label in
                let slices = Self.slices(through: extents[label]!, count: count)
                return Row(label: label, slices: slices, panels: slices.map(panel))
            }
        }
    }

    /// `count` evenly spaced slices from the first to the last of `extent` (rounded, repeats dropped); one: the middle.
    public static func slices(through extent: ClosedRange<Int>, count: Int) -> [Int] {
        guard count > 1 else { return [(extent.lowerBound + extent.upperBound) / 2] }
        var out: [Int] = []
        for i in 0..<count {
            let k = extent.lowerBound + Int((Double(i) * Double(extent.upperBound - extent.lowerBound) / Double(count - 1)).rounded())
            if out.last != k { out.append(k) }
        }
        return out
    }

    /// Each label's first and last axial slice.
    static func axialExtents(_ labels: CanonicalVolume) -> [Int: ClosedRange<Int>] {
        let n = labels.width * labels.height
        var extents: [Int: ClosedRange<Int>] = [:]
        for (i, v) in labels.voxels.enumerated() where v > 0 {
            let label = Int(v), k = i / n
            if let e = extents[label] {
                extents[label] = min(e.lowerBound, k)...max(e.upperBound, k)
            } else {
                extents[label] = k...k
            }
        }
        return extents
    }
}
