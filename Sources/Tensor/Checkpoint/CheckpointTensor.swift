import Foundation

/// A named tensor read from a checkpoint, converted to contiguous row-major Float32.
public struct CheckpointTensor: Sendable {
    public let shape: [Int]
    /// The element type stored in the file.
    public let storedType: CheckpointDType
    public let values: [Float]

    public var count: Int { values.count }

    public init(shape: [Int], storedType: CheckpointDType, values: [Float]) {
        precondition(values.count == shape.reduce(1, *), "values must fill the shape")
        (self.shape, self.storedType, self.values) = (shape, storedType, values)
    }

    /// Gathers a strided view of raw storage bytes (little-endian) into contiguous Float32.
    static func gather(_ storage: UnsafeRawBufferPointer, dtype: CheckpointDType, offset: Int, shape: [Int],
                       strides: [Int]) -> [Float] {
        let count = shape.reduce(1, *)
        var out = [Float](repeating: 0, count: count)
        guard count > 0 else { return out }
        let contiguous = strides == contiguousStrides(shape)
        func element(_ index: Int) -> Float {
            let at = index * dtype.bytes
            switch dtype {
            case .float32: return storage.loadUnaligned(fromByteOffset: at, as: Float.self)
            case .float64: return Float(storage.loadUnaligned(fromByteOffset: at, as: Double.self))
            case .float16: return Float(Float16(bitPattern: storage.loadUnaligned(fromByteOffset: at, as: UInt16.self)))
            case .bfloat16:
                return Float(bitPattern: UInt32(storage.loadUnaligned(fromByteOffset: at, as: UInt16.self)) << 16)
            case .int64: return Float(storage.loadUnaligned(fromByteOffset: at, as: Int64.self))
            case .int32: return Float(storage.loadUnaligned(fromByteOffset: at, as: Int32.self))
            case .int16: return Float(storage.loadUnaligned(fromByteOffset: at, as: Int16.self))
            case .int8: return Float(storage.loadUnaligned(fromByteOffset: at, as: Int8.self))
            case .uint8, .bool: return Float(storage.loadUnaligned(fromByteOffset: at, as: UInt8.self))
            }
        }
        if contiguous && dtype == .float32 {
            out.withUnsafeMutableBytes { target in
                target.copyMemory(from: UnsafeRawBufferPointer(rebasing: storage[(offset * 4)..<((offset + count) * 4)]))
            }
            return out
        }
        var index = [Int](repeating: 0, count: shape.count)
        for o in 0..<count {
            var source = offset
            for d in 0..<shape.count { source += index[d] * strides[d] }
            out[o] = element(source)
            var d = shape.count - 1
            while d >= 0 {
                index[d] += 1
                if index[d] < shape[d] { break }
                index[d] = 0
                d -= 1
            }
        }
        return out
    }

    static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        for d in stride(from: shape.count - 2, through: 0, by: -1) { strides[d] = strides[d + 1] * shape[d + 1] }
        return strides
    }

    /// The largest element index a strided view touches, plus one (0 for an empty tensor).
    static func extent(offset: Int, shape: [Int], strides: [Int]) -> Int {
        guard !shape.contains(0) else { return 0 }
        return offset + zip(shape, strides).map { ($0 - 1) * $1 }.reduce(0, +) + 1
    }
}
