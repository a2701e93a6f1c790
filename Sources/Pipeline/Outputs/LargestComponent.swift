import Foundation

/// Keeps, for every label, only its largest 6-connected 3-D component (ties: the one met first in memory order).
public enum LargestComponent {
    /// `labels` is axis-0-fastest with `shape` (3 dims); returns how many voxels were removed.
    @discardableResult
    public static func keep(_ labels: inout [UInt16], shape: [Int]) -> Int {
        let (nx, ny, nz) = (shape[0], shape[1], shape[2])
        let count = labels.count
        var component = [Int32](repeating: -1, count: count)
        var sizes: [Int] = [], owner: [UInt16] = []
        var stack: [Int] = []
        for start in 0..<count where labels[start] != 0 && component[start] < 0 {
            let value = labels[start], id = Int32(sizes.count)
            var size = 0
            component[start] = id
            stack.append(start)
            while let p = stack.popLast() {
                size += 1
                let x = p % nx, y = (p / nx) % ny, z = p / (nx * ny)
                func visit(_ q: Int) {
                    if labels[q] == value && component[q] < 0 {
                        component[q] = id
                        stack.append(q)
                    }
                }
                if x > 0 { visit(p - 1) }
                if x < nx - 1 { visit(p + 1) }
                if y > 0 { visit(p - nx) }
                if y < ny - 1 { visit(p + nx) }
                if z > 0 { visit(p - nx * ny) }
                if z < nz - 1 { visit(p + nx * ny) }
            }
            sizes.append(size)
            owner.append(value)
        }
        var largest: [UInt16: Int32] = [:]
        for id in sizes.indices {
            if let best = largest[owner[id]], sizes[Int(best)] >= sizes[id] { continue }
            largest[owner[id]] = Int32(id)
        }
        var removed = 0
        for p in 0..<count where labels[p] != 0 && largest[labels[p]] != component[p] {
            labels[p] = 0
            removed += 1
        }
        return removed
    }
}

extension SegmentationResult {
    /// Keeps each label's largest component (LargestComponent.keep); a removed voxel's logit becomes -inf, so its
    /// probability is 0 and the probability map agrees with the label map written. Returns the voxels removed.
    public mutating func keepLargestComponents() -> Int {
        let before = labels
        let removed = LargestComponent.keep(&labels, shape: shape)
        guard removed > 0 else { return 0 }
        let n = shape[0] * shape[1]
        for k in logits.indices where logits[k] != nil {
            for i in 0..<n where before[k * n + i] != 0 && labels[k * n + i] == 0 { logits[k]![i] = -.infinity }
        }
        return removed
    }
}
