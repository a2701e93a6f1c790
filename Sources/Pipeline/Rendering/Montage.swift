import Foundation
import Imaging
import Volume

/// `volsam preview --montage N`: per label, N evenly spaced axial slices through its extent (without labels, through
/// the volume), one row per label, with square display pixels; as thumbnails (the reports), each row cropped to its
/// label's in-plane extent with a margin and scaled to a fixed size.
public struct Montage {
    /// One row: the label (nil without labels) and its slices with their images and overlays.
    public struct Row {
        public let label: Int?
        public let slices: [Int]
        public let panels: [Panel]
    }

    public let rows: [Row]

    /// `volume`: normalized; `labels` and `reference`: on the same canonical grid (rows follow `labels`, or the
    /// reference's labels without a prediction of them). `thumbnail`: the longest side of each panel, cropped to the
    /// row's label (its own and the reference's voxels) with a margin.
    public init(volume: CanonicalVolume, labels: CanonicalVolume?, reference: CanonicalVolume? = nil, count: Int, thumbnail: Int? = nil) {
        func panel(_ k: Int, _ box: Box) -> Panel {
            let (columnMM, rowMM) = (volume.spacing.x, volume.spacing.y)
            let pixelMM = thumbnail.map { max(Double(box.width) * columnMM, Double(box.height) * rowMM) / Double($0) } ?? min(columnMM, rowMM)
            let view = { (i: ImageSlice) in
                SquarePixels.resample(box.crop(i), columnMM: columnMM, rowMM: rowMM, pixelMM: pixelMM)
            }
            return Panel(image: view(volume.slice(k)), overlay: labels.map { view($0.slice(k)) },
                         reference: reference.map { view($0.slice(k)) })
        }
        let whole = Box(x: 0...(volume.width - 1), y: 0...(volume.height - 1), z: 0...(volume.sliceCount - 1))
        var boxes = labels.map(Self.boxes) ?? [:]
        if let reference, labels != nil {
            for (label, box) in Self.boxes(reference) { boxes[label] = boxes[label].map { $0.union(box) } ?? box }
        }
        if boxes.isEmpty {
            let slices = Self.slices(through: whole.z, count: count)
            rows = [Row(label: nil, slices: slices, panels: slices.map { panel($0, whole) })]
        } else {
            rows = boxes.keys.sorted().map { label in
                let box = boxes[label]!
                let slices = Self.slices(through: box.z, count: count)
                let shown = thumbnail == nil ? whole : box.widened(by: 0.3, minimum: 8, within: whole)
                return Row(label: label, slices: slices, panels: slices.map { panel($0, shown) })
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

    /// A voxel box of the canonical grid.
    struct Box: Equatable {
        var x: ClosedRange<Int>, y: ClosedRange<Int>, z: ClosedRange<Int>
        var width: Int { x.count }
        var height: Int { y.count }

        func union(_ other: Box) -> Box {
            Box(x: min(x.lowerBound, other.x.lowerBound)...max(x.upperBound, other.x.upperBound),
                y: min(y.lowerBound, other.y.lowerBound)...max(y.upperBound, other.y.upperBound),
                z: min(z.lowerBound, other.z.lowerBound)...max(z.upperBound, other.z.upperBound))
        }

        /// In-plane sides moved out by `fraction` of the longer side (at least `minimum` voxels), clipped to `bounds`.
        func widened(by fraction: Double, minimum: Int, within bounds: Box) -> Box {
            let m = max(minimum, Int(Double(max(width, height)) * fraction))
            return Box(x: max(bounds.x.lowerBound, x.lowerBound - m)...min(bounds.x.upperBound, x.upperBound + m),
                       y: max(bounds.y.lowerBound, y.lowerBound - m)...min(bounds.y.upperBound, y.upperBound + m), z: z)
        }

        func crop(_ image: ImageSlice) -> ImageSlice {
            if width == image.width && height == image.height { return image }
            var pixels = [Float](repeating: 0, count: width * height)
            for row in 0..<height {
                for column in 0..<width { pixels[row * width + column] = image[y.lowerBound + row, x.lowerBound + column] }
            }
            return ImageSlice(width: width, height: height, pixels: pixels)
        }
    }

    /// Each label's bounding box.
    static func boxes(_ labels: CanonicalVolume) -> [Int: Box] {
        let (w, n) = (labels.width, labels.width * labels.height)
        var boxes: [Int: Box] = [:]
        for (i, v) in labels.voxels.enumerated() where v > 0 {
            let (x, y, k) = (i % w, (i % n) / w, i / n)
            let point = Box(x: x...x, y: y...y, z: k...k)
            boxes[Int(v)] = boxes[Int(v)].map { $0.union(point) } ?? point
        }
        return boxes
    }
}
