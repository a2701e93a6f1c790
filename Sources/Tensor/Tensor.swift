import Foundation

/// A dense, contiguous, row-major Float32 tensor. Operations are plain functions over it (Kernels/), written out
/// forward so that backward passes can be added beside them.
public struct Tensor: Sendable, Equatable {
    public private(set) var shape: [Int]
    public var data: [Float]

    public init(shape: [Int], data: [Float]) {
        precondition(data.count == shape.reduce(1, *), "\(data.count) values do not fill shape \(shape)")
        self.shape = shape
        self.data = data
    }

    public init(zeros shape: [Int]) {
        self.init(shape: shape, data: [Float](repeating: 0, count: shape.reduce(1, *)))
    }

    /// A tensor whose values are left as the allocator gives them, for kernels that write every element.
    public static func uninitialized(_ shape: [Int]) -> Tensor {
        let count = shape.reduce(1, *)
        return Tensor(shape: shape, data: [Float](unsafeUninitializedCapacity: count) { _, initialized in initialized = count })
    }

    public var count: Int { data.count }
    public var rank: Int { shape.count }

    /// The same values with another shape of the same size.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, data: data)
    }

    /// Largest absolute element difference (tests and parity checks).
    public func maxAbsDifference(_ other: Tensor) -> Float {
        precondition(shape == other.shape, "shapes \(shape) and \(other.shape) differ")
        var worst: Float = 0
        for i in data.indices { worst = max(worst, abs(data[i] - other.data[i])) }
        return worst
    }

    public var maxAbs: Float { data.reduce(0) { max($0, abs($1)) } }
}
