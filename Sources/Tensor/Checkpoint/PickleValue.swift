import Foundation

/// A value built by the restricted unpickler: only what torch.save writes for a state_dict.
indirect enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple([PickleValue])
    case list([PickleValue])
    case dict([(PickleValue, PickleValue)])
    /// An allow-listed global (module, name), not yet called.
    case global(String, String)
    /// A storage named by a persistent id: ("storage", type, key, location, numel).
    case storage(StorageReference)
    /// A tensor view of a storage (torch._utils._rebuild_tensor_v2).
    case tensor(TensorReference)
    case mark

    var string: String? { if case let .string(s) = self { return s }; return nil }
    var int: Int? {
        switch self {
        case let .int(i): return i
        case let .bool(b): return b ? 1 : 0
        default: return nil
        }
    }

    var ints: [Int]? {
        guard case let .tuple(items) = self else { return nil }
        let values = items.compactMap(\.int)
        return values.count == items.count ? values : nil
    }
}

/// A storage in the checkpoint archive (data/<key>).
struct StorageReference {
    let dtype: CheckpointDType
    let key: String
    let elementCount: Int
}

/// A strided view of a storage.
struct TensorReference {
    let storage: StorageReference
    let offset: Int
    let shape: [Int]
    let strides: [Int]
}

/// Element types of checkpoint tensors.
public enum CheckpointDType: String, Sendable {
    case float32, float64, float16, bfloat16, int64, int32, int16, int8, uint8, bool

    public var bytes: Int {
        switch self {
        case .float64, .int64: 8
        case .float32, .int32: 4
        case .float16, .bfloat16, .int16: 2
        case .int8, .uint8, .bool: 1
        }
    }

    /// torch.FloatStorage and friends.
    init?(torchStorage name: String) {
        switch name {
        case "FloatStorage": self = .float32
        case "DoubleStorage": self = .float64
        case "HalfStorage": self = .float16
        case "BFloat16Storage": self = .bfloat16
        case "LongStorage": self = .int64
        case "IntStorage": self = .int32
        case "ShortStorage": self = .int16
        case "CharStorage": self = .int8
        case "ByteStorage": self = .uint8
        case "BoolStorage": self = .bool
        default: return nil
        }
    }

    /// safetensors dtype names.
    init?(safetensors name: String) {
        switch name {
        case "F32": self = .float32
        case "F64": self = .float64
        case "F16": self = .float16
        case "BF16": self = .bfloat16
        case "I64": self = .int64
        case "I32": self = .int32
        case "I16": self = .int16
        case "I8": self = .int8
        case "U8": self = .uint8
        case "BOOL": self = .bool
        default: return nil
        }
    }
}
