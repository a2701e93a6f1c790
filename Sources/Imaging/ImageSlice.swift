import Foundation

/// A 2-D row-major Float32 image (for axial slices of the processing layout: rows = canonical axis 1, columns = axis 0).
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
