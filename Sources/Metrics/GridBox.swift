import Foundation
import Parallelism
import Volume

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
        bits = [Bool](unsafeUninitializedCapacity: box.count) { out, initialized in
            labels.withUnsafeBufferPointer { source in
                let (from, to) = (UncheckedBox(source.baseAddress!), UncheckedBox(out.baseAddress!))
                ParallelLoop.forRanges(count: size[2], minimumChunk: 1) { ks in
                    for k in ks {
                        for j in 0..<size[1] {
                            let row = gridShape[0] * (box.lower[1] + j + gridShape[1] * (box.lower[2] + k)) + box.lower[0]
                            let o = size[0] * (j + size[1] * k)
                            for i in 0..<size[0] { (to.value + o + i).initialize(to: from.value[row + i] == label) }
                        }
                    }
                }
            }
            initialized = box.count
        }
    }
}
