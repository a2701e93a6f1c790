import Foundation

/// Writes .safetensors files (float32 tensors, string metadata), through a temporary file renamed into place.
public enum SafeTensorsWriter {
    public static func write(_ tensors: [String: (shape: [Int], values: [Float])], metadata: [String: String], to path: String) throws {
        var header: [String: Any] = ["__metadata__": metadata]
        var offset = 0
        let names = tensors.keys.sorted()
        for name in names {
            let (shape, values) = tensors[name]!
            guard values.count == shape.reduce(1, *) else { throw CheckpointError(path, "tensor \(name): values do not fill \(shape)") }
            header[name] = ["dtype": "F32", "shape": shape, "data_offsets": [offset, offset + 4 * values.count]]
            offset += 4 * values.count
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }  // the format pads the header with spaces to 8 bytes
        var data = Data(capacity: 8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(json)
        for name in names {
            tensors[name]!.values.withUnsafeBufferPointer { data.append(UnsafeBufferPointer(start: $0.baseAddress, count: $0.count)) }
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let temporary = folder + "/." + URL(fileURLWithPath: path).lastPathComponent + ".tmp-\(getpid())"
        do { try data.write(to: URL(fileURLWithPath: temporary)) } catch {
            throw CheckpointError(path, "could not write (\(error.localizedDescription))")
        }
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw CheckpointError(path, "could not move the finished file into place: \(String(cString: strerror(errno)))")
        }
    }
}
