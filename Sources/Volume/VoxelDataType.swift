import Foundation

/// NIfTI voxel datatypes VolSAM reads and writes, with their NIfTI codes.
public enum VoxelDataType: Int32, Sendable, CaseIterable, CustomStringConvertible {
    case uint8 = 2, int16 = 4, int32 = 8, float32 = 16, float64 = 64
    case int8 = 256, uint16 = 512, uint32 = 768, int64 = 1024, uint64 = 1280

    public var bytes: Int {
        switch self {
        case .uint8, .int8: 1
        case .int16, .uint16: 2
        case .int32, .uint32, .float32: 4
        case .float64, .int64, .uint64: 8
        }
    }

    public var isInteger: Bool { self != .float32 && self != .float64 }

    public var description: String { name }

    /// Lower-case name as nibabel prints it (e.g. "int16").
    public var name: String {
        switch self {
        case .uint8: "uint8"
        case .int16: "int16"
        case .int32: "int32"
        case .float32: "float32"
        case .float64: "float64"
        case .int8: "int8"
        case .uint16: "uint16"
        case .uint32: "uint32"
        case .int64: "int64"
        case .uint64: "uint64"
        }
    }

    /// The exact range of an integer type, for choosing an output type.
    var integerRange: ClosedRange<Double>? {
        switch self {
        case .uint8: 0...255
        case .int8: -128...127
        case .int16: -32768...32767
        case .uint16: 0...65535
        case .int32: -2_147_483_648...2_147_483_647
        case .uint32: 0...4_294_967_295
        case .int64: -9.2e18...9.2e18
        case .uint64: 0...1.8e19
        default: nil
        }
    }

    /// Why a NIfTI datatype code cannot be read, or nil when it can.
    static func unsupportedReason(code: Int32) -> String? {
        if VoxelDataType(rawValue: code) != nil { return nil }
        switch code {
        case 32, 1792, 2048: return "complex voxels (datatype \(code)) are not supported; VolSAM reads scalar images"
        case 128, 2304: return "RGB voxels (datatype \(code)) are not supported; VolSAM reads scalar images"
        case 1: return "1-bit voxels (datatype 1) are not supported"
        case 1536: return "float128 voxels (datatype 1536) are not supported"
        case 0: return "the header gives no datatype (0)"
        default: return "unknown datatype code \(code)"
        }
    }
}
