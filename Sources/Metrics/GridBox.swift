import Foundation

/// An axis-aligned box of voxels [lower, upper) inside a 3-D grid.
public struct GridBox: Sendable, Equatable {
    public var lower: [Int]
    public var upper: [Int]

    public init(lower: [Int], upper: [Int]) {
        self.lower = lower
        self.upper = upper
    }

    public var size: [Int] { (0..<3).map { upper[$0] - lower[$0] } }
    public var count: Int { size.reduce(1, *) }
    public var isEmpty: Bool { (0..<3).contains { upper[$0] <= lower[$0] } }

    /// The smallest box holding both (an empty box is ignored).
    public func union(_ other: GridBox) -> GridBox {
        if isEmpty { return other }
        if other.isEmpty { return self }
        return GridBox(lower: (0..<3).map { min(lower[$0], other.lower[$0]) },
                       upper: (0..<3).map { max(upper[$0], other.upper[$0]) })
    }

    /// Grown by `margin` voxels on every side, clipped to the grid.
    public func grown(by margin: Int, within shape: [Int]) -> GridBox {
        GridBox(lower: (0..<3).map { max(0, lower[$0] - margin) },
                upper: (0..<3).map { min(shape[$0], upper[$0] + margin) })
    }

    public static let empty = GridBox(lower: [0, 0, 0], upper: [0, 0, 0])
}

/// A binary mask cropped to a box of a larger grid; voxels outside the box are background.
public struct CroppedMask: Sendable {
    /// The full grid's shape.
    public let gridShape: [Int]
    public let box: GridBox
    /// Row-major over the box, axis 0 fastest.
    public var bits: [Bool]

    public init(gridShape: [Int], box: GridBox, bits: [Bool]) {
        precondition(bits.count == box.count)
        self.gridShape = gridShape
        self.box = box
        self.bits = bits
    }

    /// The voxels of `labels` equal to `label`, inside `box`.
    public init(labels: [Float], gridShape: [Int], label: Float, box: GridBox) {
        self.gridShape = gridShape
        self.box = box
        let size = box.size
        var bits = [Bool](repeating: false, count: box.count)
        var o = 0
        for k in box.lower[2]..<box.upper[2] {
            for j in box.lower[1]..<box.upper[1] {
                let row = gridShape[0] * (j + gridShape[1] * k)
                for i in box.lower[0]..<box.upper[0] {
                    bits[o] = labels[row + i] == label
                    o += 1
                }
            }
        }
        precondition(o == size.reduce(1, *))
        self.bits = bits
    }

    public var count: Int { bits.reduce(0) { $0 + ($1 ? 1 : 0) } }
}
