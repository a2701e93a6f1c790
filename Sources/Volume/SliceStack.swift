import Foundation
import Imaging

/// D consecutive axial slices (depth-major, each slice row-major): the input of the depth path (SDTrans's depth
/// attention over stacks of neighbouring slices), made by `CanonicalVolume.stack`.
public struct SliceStack: Sendable {
    public let width: Int
    public let height: Int
    /// The canonical slice index each depth position came from (edges repeat).
    public let sliceIndices: [Int]
    public let pixels: [Float]

    public var depth: Int { sliceIndices.count }

    public func slice(at d: Int) -> ImageSlice {
        let n = width * height
        return ImageSlice(width: width, height: height, pixels: Array(pixels[(d * n)..<((d + 1) * n)]))
    }
}
