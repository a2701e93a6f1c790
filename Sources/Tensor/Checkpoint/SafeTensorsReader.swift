import Foundation

/// Reads .safetensors files: an 8-byte little-endian header length, a JSON header, then raw little-endian data.
public enum SafeTensorsReader {
    /// The tensors of a .safetensors file.
    public static func read(path: String) throws -> [String: CheckpointTensor] {
        try readWithMetadata(path: path).tensors
    }

    /// The tensors and the string metadata (`__metadata__`) of a .safetensors file.
    public static func readWithMetadata(path: String) throws -> (tensors: [String: CheckpointTensor], metadata: [String: String]) {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) } catch {
            throw CheckpointError(path, "cannot read (\(error.localizedDescription))")
        }
        guard data.count >= 8 else { throw CheckpointError(path, "too short for a safetensors file") }
        let headerLength = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        guard headerLength > 0, 8 + headerLength <= data.count else {
            throw CheckpointError(path, "safetensors header length \(headerLength) does not fit the file")
        }
        guard let header = try? JSONSerialization.jsonObject(with: data[8..<(8 + headerLength)]) as? [String: Any] else {
            throw CheckpointError(path, "safetensors header is not a JSON object")
        }
        let body = 8 + headerLength
        var tensors: [String: CheckpointTensor] = [:]
        for (name, value) in header where name != "__metadata__" {
            guard let info = value as? [String: Any], let typeName = info["dtype"] as? String,
                  let shape = info["shape"] as? [Int], let offsets = info["data_offsets"] as? [Int], offsets.count == 2 else {
                throw CheckpointError(path, "tensor \(name): malformed header entry")
            }
            guard let dtype = CheckpointDType(safetensors: typeName) else {
                throw CheckpointError(path, "tensor \(name): unsupported dtype \(typeName)")
            }
            let count = shape.reduce(1, *)
            guard offsets[0] >= 0, offsets[1] - offsets[0] == count * dtype.bytes, body + offsets[1] <= data.count else {
                throw CheckpointError(path, "tensor \(name): data offsets \(offsets) do not match shape \(shape) of \(typeName)")
            }
            let values = data.withUnsafeBytes { raw in
                CheckpointTensor.gather(UnsafeRawBufferPointer(rebasing: raw[(body + offsets[0])..<(body + offsets[1])]),
                                        dtype: dtype, offset: 0, shape: shape,
                                        strides: CheckpointTensor.contiguousStrides(shape))
            }
            tensors[name] = CheckpointTensor(shape: shape, storedType: dtype, values: values)
        }
        var metadata: [String: String] = [:]
        for (key, value) in header["__metadata__"] as? [String: Any] ?? [:] {
            guard let text = value as? String else { throw CheckpointError(path, "metadata \(key) is not a string") }
            metadata[key] = text
        }
        return (tensors, metadata)
    }
}
