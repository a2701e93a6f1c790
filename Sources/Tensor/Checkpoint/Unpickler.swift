import Foundation

/// A restricted unpickler for torch.save's data.pkl: it understands only the opcodes torch.save emits for a
/// state_dict and calls only allow-listed globals (OrderedDict, _rebuild_tensor_v2, _rebuild_parameter, typed
/// storages). Nothing is ever executed; anything else is an error naming it.
struct Unpickler {
    private let bytes: [UInt8]
    private var position = 0
    private var stack: [PickleValue] = []
    private var memo: [Int: PickleValue] = [:]
    private let source: String

    init(_ data: Data, source: String) {
        bytes = [UInt8](data)
        self.source = source
    }

    static let allowedGlobals: Set<String> = [
        "collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_parameter",
        "torch.FloatStorage", "torch.DoubleStorage", "torch.HalfStorage", "torch.BFloat16Storage", "torch.LongStorage",
        "torch.IntStorage", "torch.ShortStorage", "torch.CharStorage", "torch.ByteStorage", "torch.BoolStorage",
    ]

    private func fail(_ problem: String) -> CheckpointError { CheckpointError(source, problem) }

    private mutating func byte() throws -> UInt8 {
        guard position < bytes.count else { throw fail("pickle ends unexpectedly at byte \(position)") }
        defer { position += 1 }
        return bytes[position]
    }

    private mutating func take(_ n: Int) throws -> ArraySlice<UInt8> {
        guard n >= 0, position + n <= bytes.count else { throw fail("pickle ends unexpectedly at byte \(position)") }
        defer { position += n }
        return bytes[position..<(position + n)]
    }

    private mutating func littleEndian(_ n: Int) throws -> Int {
        var value = 0
        for (i, b) in try take(n).enumerated() { value |= Int(b) << (8 * i) }
        return value
    }

    private mutating func line() throws -> String {
        guard let end = bytes[position...].firstIndex(of: 0x0A) else { throw fail("unterminated GLOBAL") }
        defer { position = end + 1 }
        return String(decoding: bytes[position..<end], as: UTF8.self)
    }

    private mutating func pop() throws -> PickleValue {
        guard let value = stack.popLast() else { throw fail("pickle stack underflow") }
        return value
    }

    private mutating func popToMark() throws -> [PickleValue] {
        guard let mark = stack.lastIndex(where: { if case .mark = $0 { return true }; return false }) else {
            throw fail("pickle MARK missing")
        }
        let items = Array(stack[(mark + 1)...])
        stack.removeSubrange(mark...)
        return items
    }

    /// Runs the pickle program and returns its result.
    mutating func load() throws -> PickleValue {
        while true {
            let opcode = try byte()
            switch opcode {
            case 0x80: _ = try byte()  // PROTO
            case 0x95: _ = try take(8)  // FRAME
            case 0x2E: return try pop()  // STOP
            case 0x7D: stack.append(.dict([]))  // EMPTY_DICT
            case 0x5D: stack.append(.list([]))  // EMPTY_LIST
            case 0x29: stack.append(.tuple([]))  // EMPTY_TUPLE
            case 0x28: stack.append(.mark)  // MARK
            case 0x4E: stack.append(.none)  // NONE
            case 0x88: stack.append(.bool(true))  // NEWTRUE
            case 0x89: stack.append(.bool(false))  // NEWFALSE
            case 0x4B: stack.append(.int(Int(try byte())))  // BININT1
            case 0x4D: stack.append(.int(try littleEndian(2)))  // BININT2
            case 0x4A: stack.append(.int(Int(Int32(truncatingIfNeeded: try littleEndian(4)))))  // BININT
            case 0x8A:  // LONG1
                let n = Int(try byte())
                guard n <= 8 else { throw fail("integer too large") }
                var value = n == 0 ? 0 : try littleEndian(n)
                if n > 0 && n < 8 && value & (1 << (8 * n - 1)) != 0 { value -= 1 << (8 * n) }
                stack.append(.int(value))
            case 0x47:  // BINFLOAT (big-endian)
                var raw: UInt64 = 0
                for b in try take(8) { raw = raw << 8 | UInt64(b) }
                stack.append(.float(Double(bitPattern: raw)))
            case 0x58: stack.append(.string(String(decoding: try take(try littleEndian(4)), as: UTF8.self)))  // BINUNICODE
            case 0x8C: stack.append(.string(String(decoding: try take(Int(try byte())), as: UTF8.self)))  // SHORT_BINUNICODE
            case 0x8D: stack.append(.string(String(decoding: try take(try littleEndian(8)), as: UTF8.self)))  // BINUNICODE8
            case 0x43: stack.append(.bytes(Array(try take(Int(try byte())))))  // SHORT_BINBYTES
            case 0x42: stack.append(.bytes(Array(try take(try littleEndian(4)))))  // BINBYTES
            case 0x71: memo[Int(try byte())] = stack.last  // BINPUT
            case 0x72: memo[try littleEndian(4)] = stack.last  // LONG_BINPUT
            case 0x94: memo[memo.count] = stack.last  // MEMOIZE
            case 0x68, 0x6A:  // BINGET, LONG_BINGET
                let key = opcode == 0x68 ? Int(try byte()) : try littleEndian(4)
                guard let value = memo[key] else { throw fail("pickle memo \(key) missing") }
                stack.append(value)
            case 0x74: stack.append(.tuple(try popToMark()))  // TUPLE
            case 0x85: stack.append(.tuple([try pop()]))  // TUPLE1
            case 0x86:  // TUPLE2
                let b = try pop(), a = try pop()
                stack.append(.tuple([a, b]))
            case 0x87:  // TUPLE3
                let c = try pop(), b = try pop(), a = try pop()
                stack.append(.tuple([a, b, c]))
            case 0x61:  // APPEND
                let item = try pop()
                guard case let .list(items) = try pop() else { throw fail("APPEND to a non-list") }
                stack.append(.list(items + [item]))
            case 0x65:  // APPENDS
                let items = try popToMark()
                guard case let .list(existing) = try pop() else { throw fail("APPENDS to a non-list") }
                stack.append(.list(existing + items))
            case 0x73:  // SETITEM
                let value = try pop(), key = try pop()
                guard case let .dict(pairs) = try pop() else { throw fail("SETITEM on a non-dict") }
                stack.append(.dict(pairs + [(key, value)]))
            case 0x75:  // SETITEMS
                let items = try popToMark()
                guard items.count % 2 == 0, case let .dict(pairs) = try pop() else { throw fail("SETITEMS on a non-dict") }
                stack.append(.dict(pairs + stride(from: 0, to: items.count, by: 2).map { (items[$0], items[$0 + 1]) }))
            case 0x63:  // GLOBAL
                let module = try line(), name = try line()
                guard Self.allowedGlobals.contains(module + "." + name) else {
                    throw fail("checkpoint refers to \(module).\(name), which VolSAM does not load (only plain state_dicts)")
                }
                stack.append(.global(module, name))
            case 0x93:  // STACK_GLOBAL
                guard let name = try pop().string, let module = try pop().string else { throw fail("bad STACK_GLOBAL") }
                guard Self.allowedGlobals.contains(module + "." + name) else {
                    throw fail("checkpoint refers to \(module).\(name), which VolSAM does not load (only plain state_dicts)")
                }
                stack.append(.global(module, name))
            case 0x51: stack.append(try persistentLoad(try pop()))  // BINPERSID
            case 0x52:  // REDUCE
                let arguments = try pop(), callable = try pop()
                stack.append(try call(callable, arguments))
            case 0x62: _ = try pop()  // BUILD: state of an OrderedDict (_metadata) is not needed
            default:
                throw fail(String(format: "unsupported pickle opcode 0x%02x at byte %d", opcode, position - 1))
            }
        }
    }

    private func persistentLoad(_ id: PickleValue) throws -> PickleValue {
        guard case let .tuple(items) = id, items.count == 5, items[0].string == "storage",
              case let .global(_, typeName) = items[1], let key = items[2].string, let count = items[4].int else {
            throw fail("unsupported persistent id (expected a torch storage)")
        }
        guard let dtype = CheckpointDType(torchStorage: typeName) else { throw fail("unsupported storage type \(typeName)") }
        return .storage(StorageReference(dtype: dtype, key: key, elementCount: count))
    }

    private func call(_ callable: PickleValue, _ arguments: PickleValue) throws -> PickleValue {
        guard case let .global(module, name) = callable, case let .tuple(args) = arguments else {
            throw fail("REDUCE on something that is not an allowed global")
        }
        switch module + "." + name {
        case "collections.OrderedDict":
            return .dict([])
        case "torch._utils._rebuild_tensor_v2":
            guard args.count >= 4, case let .storage(storage) = args[0], let offset = args[1].int,
                  let shape = args[2].ints, let strides = args[3].ints, shape.count == strides.count else {
                throw fail("malformed _rebuild_tensor_v2 arguments")
            }
            return .tensor(TensorReference(storage: storage, offset: offset, shape: shape, strides: strides))
        case "torch._utils._rebuild_parameter":
            guard let first = args.first else { throw fail("malformed _rebuild_parameter arguments") }
            return first
        default:
            throw fail("\(module).\(name) cannot be called")
        }
    }
}
