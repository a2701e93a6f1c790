import Foundation
import ZIPFoundation

/// Reads PyTorch checkpoints (torch.save zip archives holding a state_dict) and .safetensors files.
public enum CheckpointReader {
    /// Named tensors of a weights file (.pth/.pt zip archive or .safetensors). `verifyCRC`: check the CRC-32 of
    /// every zip entry read (skipped only for a file whose SHA-256 was already verified).
    public static func read(path: String, verifyCRC: Bool = true) throws -> [String: CheckpointTensor] {
        guard FileManager.default.fileExists(atPath: path) else { throw CheckpointError(path, "no such file") }
        if path.hasSuffix(".safetensors") { return try SafeTensorsReader.read(path: path) }
        return try readTorch(path: path, verifyCRC: verifyCRC)
    }

    static func readTorch(path: String, verifyCRC: Bool) throws -> [String: CheckpointTensor] {
        let archive: Archive
        do {
            // One read of the whole file, then the archive in memory: far fewer system calls than streaming entries.
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
            archive = try Archive(data: bytes, accessMode: .read)
        } catch {
            throw CheckpointError(path, "not a PyTorch zip checkpoint (legacy non-zip torch.save files are not supported)")
        }
        // One pass over the central directory (Archive's subscript scans it on every lookup).
        var entriesByPath: [String: Entry] = [:]
        for entry in archive { entriesByPath[entry.path] = entry }
        guard let pickleEntry = entriesByPath.values.first(where: { $0.path.hasSuffix("data.pkl") }) else {
            throw CheckpointError(path, "zip archive has no data.pkl: not a torch.save checkpoint")
        }
        let prefix = String(pickleEntry.path.dropLast("data.pkl".count))
        func extract(_ entry: Entry, into data: inout Data) throws {
            let checksum: CRC32
            do { checksum = try archive.extract(entry, bufferSize: 1 << 20, skipCRC32: !verifyCRC) { data.append($0) } } catch {
                throw CheckpointError(path, "zip entry \(entry.path) cannot be read (\(error)): the file is damaged")
            }
            if verifyCRC && checksum != entry.checksum {
                throw CheckpointError(path, "zip entry \(entry.path) fails its CRC-32 check: the file is damaged")
            }
        }
        var pickle = Data()
        try extract(pickleEntry, into: &pickle)
        var unpickler = Unpickler(pickle, source: path)
        let root = try unpickler.load()
        let entries = try stateDict(root, path: path)
        var storages: [String: Data] = [:]
        var tensors: [String: CheckpointTensor] = [:]
        for (name, reference) in entries {
            let key = reference.storage.key
            if storages[key] == nil {
                guard let entry = entriesByPath[prefix + "data/" + key] else {
                    throw CheckpointError(path, "storage data/\(key) of \(name) is missing from the archive")
                }
                var data = Data(capacity: Int(entry.uncompressedSize))
                try extract(entry, into: &data)
                storages[key] = data
            }
            let data = storages[key]!
            let storage = reference.storage
            guard data.count >= storage.elementCount * storage.dtype.bytes,
                  CheckpointTensor.extent(offset: reference.offset, shape: reference.shape, strides: reference.strides)
                    <= storage.elementCount, reference.offset >= 0, !reference.strides.contains(where: { $0 < 0 }) else {
                throw CheckpointError(path, "tensor \(name) (shape \(reference.shape), strides \(reference.strides), offset "
                                      + "\(reference.offset)) reaches outside its storage")
            }
            let values = data.withUnsafeBytes {
                CheckpointTensor.gather($0, dtype: storage.dtype, offset: reference.offset, shape: reference.shape,
                                        strides: reference.strides)
            }
            tensors[name] = CheckpointTensor(shape: reference.shape, storedType: storage.dtype, values: values)
        }
        return tensors
    }

    /// The name -> tensor pairs of a state_dict, also when wrapped as {"model": ...} or {"state_dict": ...}.
    static func stateDict(_ root: PickleValue, path: String) throws -> [(String, TensorReference)] {
        guard case let .dict(pairs) = root else { throw CheckpointError(path, "checkpoint is not a dictionary") }
        for wrapper in ["model", "state_dict"] {
            if let inner = pairs.first(where: { $0.0.string == wrapper })?.1, case .dict = inner {
                return try stateDict(inner, path: path)
            }
        }
        var out: [(String, TensorReference)] = []
        for (key, value) in pairs {
            guard let name = key.string else { throw CheckpointError(path, "state_dict key is not a string") }
            guard case let .tensor(reference) = value else { continue }  // e.g. version numbers
            out.append((name, reference))
        }
        return out
    }
}
