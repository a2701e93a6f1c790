import Foundation

/// A 2-D row-major Float32 image (rows = canonical axis 1, columns = canonical axis 0 for axial slices).
public struct ImageSlice: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public var pixels: [Float]

    public init(width: Int, height: Int, pixels: [Float]) {
        precondition(width >= 1 && height >= 1 && pixels.count == width * height, "pixels must fill width x height")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    public subscript(row: Int, column: Int) -> Float { pixels[row * width + column] }
}

/// D consecutive axial slices (depth-major, each slice row-major) for the depth path.
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

/// Collects per-slice 2-D results into a canonical volume, then returns them in the source file's grid.
public struct VolumeAssembler<Element: Sendable>: Sendable {
    public let shape: [Int]
    public private(set) var values: [Element]

    public init(shape: [Int], fill: Element) {
        precondition(shape.count == 3)
        self.shape = shape
        values = [Element](repeating: fill, count: shape.reduce(1, *))
    }

    /// Stores a row-major slice (width = shape[0], height = shape[1]) at canonical slice k.
    public mutating func set(slice k: Int, _ pixels: [Element]) {
        let n = shape[0] * shape[1]
        precondition(pixels.count == n && (0..<shape[2]).contains(k), "slice does not fit the volume")
        values.replaceSubrange((k * n)..<((k + 1) * n), with: pixels)
    }

    /// The assembled values in the file's own grid.
    public func sourceGrid(of volume: CanonicalVolume) -> [Element] {
        precondition(volume.shape == shape)
        return volume.toSourceGrid(values)
    }
}
