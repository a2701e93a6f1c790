import Foundation

/// Where each requested label lies in a canonical label map: its slices and its bounding box on each of them.
struct SliceCensus {
    struct SliceBox {
        var x0 = Int.max, y0 = Int.max, x1 = Int.min, y1 = Int.min
        var count = 0
        var box: PromptBox { PromptBox(x0: Double(x0), y0: Double(y0), x1: Double(x1), y1: Double(y1)) }
    }

    /// Per label: slice index -> box and voxel count (only occupied slices).
    private(set) var slices: [Int: [Int: SliceBox]] = [:]

    /// Scans the map once. Values must be non-negative integers; `labels` restricts the scan (nil = all present).
    init(voxels: [Float], width: Int, height: Int, sliceCount: Int, labels: [Int]?) throws {
        let n = width * height
        var perSlice: [[Int: SliceBox]] = Array(repeating: [:], count: sliceCount)
        let wanted = labels.map(Set.init)
        try voxels.withUnsafeBufferPointer { v in
            for k in 0..<sliceCount {
                var boxes: [Int: SliceBox] = [:]
                var lastLabel = -1
                var current = SliceBox()
                func flush() { if lastLabel > 0 { boxes[lastLabel] = current } }
                for y in 0..<height {
                    let row = k * n + y * width
                    for x in 0..<width {
                        let value = v[row + x]
                        if value == 0 { continue }
                        guard value > 0, value == value.rounded(), value <= 65535 else {
                            throw PromptError("label map value \(value) is not an integer label in 0...65535")
                        }
                        let label = Int(value)
                        if let wanted, !wanted.contains(label) { continue }
                        if label != lastLabel {
                            flush()
                            lastLabel = label
                            current = boxes[label] ?? SliceBox()
                        }
                        current.x0 = min(current.x0, x)
                        current.x1 = max(current.x1, x)
                        current.y0 = min(current.y0, y)
                        current.y1 = max(current.y1, y)
                        current.count += 1
                    }
                }
                flush()
                perSlice[k] = boxes
            }
        }
        for (k, boxes) in perSlice.enumerated() {
            for (label, box) in boxes { slices[label, default: [:]][k] = box }
        }
    }

    var presentLabels: [Int] { slices.keys.sorted() }

    /// The label's slice range.
    func range(of label: Int) -> ClosedRange<Int>? {
        guard let s = slices[label], let lo = s.keys.min(), let hi = s.keys.max() else { return nil }
        return lo...hi
    }

    /// The label's box over all slices.
    func extent(of label: Int) -> PromptBox? {
        guard let s = slices[label], !s.isEmpty else { return nil }
        var all = SliceBox()
        for b in s.values {
            all.x0 = min(all.x0, b.x0)
            all.y0 = min(all.y0, b.y0)
            all.x1 = max(all.x1, b.x1)
            all.y1 = max(all.y1, b.y1)
        }
        return all.box
    }
}
