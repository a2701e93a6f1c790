import Foundation
import Tensor

/// A LoRA adapter file (.safetensors): per adapted layer NAME.lora_A [rank, in] and NAME.lora_B [out, rank], named by
/// the checkpoint's module paths; per LoRA on some output rows of a layer (TinyViT's per-head q or v rows of qkv, tag
/// q or v) NAME.lora_TAG_A [rank, in], NAME.lora_TAG_B [rows, rank] and NAME.lora_TAG_rows [rows] (the row indices);
/// with metadata naming the method, rank, alpha, the adapted place and the SHA-256 of the base weights it was trained
/// on. Merged into the base weights at load (W + alpha / rank B A, on its rows), so inference with it runs exactly as
/// fast as without.
public struct LoRAAdapter: WeightAdapter {
    /// A LoRA on some rows of a layer's weight.
    public struct RowFactor: Sendable {
        public let layer: String, tag: String
        public let a: CheckpointTensor, b: CheckpointTensor
        public let rows: [Int]
    }

    public let rank: Int, alpha: Double
    /// The SHA-256 of the base checkpoint the adapter was trained on.
    public let baseSHA256: String
    public let metadata: [String: String]
    /// Per adapted layer (module path): A and B.
    public let factors: [String: (a: CheckpointTensor, b: CheckpointTensor)]
    /// The row LoRAs, by their tensors' stem (NAME.lora_TAG).
    public let rowFactors: [String: RowFactor]

    public init(rank: Int, alpha: Double, baseSHA256: String, metadata: [String: String],
                factors: [String: (a: CheckpointTensor, b: CheckpointTensor)], rowFactors: [String: RowFactor] = [:]) {
        (self.rank, self.alpha, self.baseSHA256, self.metadata, self.factors) = (rank, alpha, baseSHA256, metadata, factors)
        self.rowFactors = rowFactors
    }

    /// The adapter of a trained decoder's LoRA factors and, when the encoder was adapted, its last stage's row LoRAs
    /// (all of one rank and scale).
    public init<S: TrainingScalar>(decoder: PlainMaskDecoder<S>, encoder: PlainEncoderSuffix<S>? = nil, settings: LoRASettings,
                                   baseSHA256: String, metadata: [String: String]) {
        func tensor(_ m: Matrix<S>) -> CheckpointTensor {
            CheckpointTensor(shape: [m.rows, m.columns], storedType: .float32, values: m.values.map { Float($0) })
        }
        var factors: [String: (a: CheckpointTensor, b: CheckpointTensor)] = [:]
        for (layer, lora) in decoder.loraFactors { factors[layer] = (tensor(lora.a), tensor(lora.b)) }
        var rowFactors: [String: RowFactor] = [:]
        for (layer, lora) in encoder?.rowLoRAFactors ?? [] {
            rowFactors[layer + ".lora_" + lora.tag] = RowFactor(layer: layer, tag: lora.tag, a: tensor(lora.a), b: tensor(lora.b), rows: lora.rows)
        }
        self.init(rank: settings.rank, alpha: settings.alpha, baseSHA256: baseSHA256, metadata: metadata, factors: factors,
                  rowFactors: rowFactors)
    }

    /// Reads a LoRA adapter file (AdapterFile.read reads either method).
    public static func read(path: String) throws -> LoRAAdapter {
        guard let lora = try AdapterFile.read(path: path) as? LoRAAdapter else { throw CheckpointError(path, "is not a LoRA adapter") }
        return lora
    }

    init(tensors: [String: CheckpointTensor], metadata: [String: String], baseSHA256 base: String, path: String) throws {
        guard let rank = metadata["rank"].flatMap(Int.init), rank > 0, let alpha = metadata["alpha"].flatMap(Double.init) else {
            throw CheckpointError(path, "adapter metadata lacks a valid rank or alpha")
        }
        var factors: [String: (a: CheckpointTensor, b: CheckpointTensor)] = [:], rowFactors: [String: RowFactor] = [:]
        func checkRank(_ name: String, _ a: CheckpointTensor, _ b: CheckpointTensor) throws {
            guard a.shape.count == 2, b.shape.count == 2, a.shape[0] == rank, b.shape[1] == rank else {
                throw CheckpointError(path, "\(name): A \(a.shape) and B \(b.shape) are not of rank \(rank)")
            }
        }
        for name in tensors.keys {
            if name.hasSuffix(".lora_A") || name.hasSuffix(".lora_B") {
                let layer = String(name.dropLast(7))
                guard let a = tensors[layer + ".lora_A"], let b = tensors[layer + ".lora_B"] else {
                    throw CheckpointError(path, "\(layer) lacks its lora_A or lora_B")
                }
                try checkRank(layer, a, b)
                factors[layer] = (a, b)
            } else if let row = try Self.rowFactor(named: name, in: tensors, path: path) {
                try checkRank(row.layer + ".lora_" + row.tag, row.a, row.b)
                rowFactors[row.layer + ".lora_" + row.tag] = row
            } else {
                throw CheckpointError(path, "unknown tensor \(name)")
            }
        }
        guard !factors.isEmpty || !rowFactors.isEmpty else { throw CheckpointError(path, "the adapter holds no LoRA factors") }
        self.init(rank: rank, alpha: alpha, baseSHA256: base, metadata: metadata, factors: factors, rowFactors: rowFactors)
    }

    /// The row LoRA a tensor NAME.lora_TAG_A, _B or _rows belongs to (nil for another name); its three tensors must
    /// be there, the rows whole numbers, distinct, as many as B's rows.
    static func rowFactor(named name: String, in tensors: [String: CheckpointTensor], path: String) throws -> RowFactor? {
        guard let part = ["_A", "_B", "_rows"].first(where: name.hasSuffix), let marker = name.range(of: ".lora_", options: .backwards) else { return nil }
        let stem = String(name.dropLast(part.count)), layer = String(name[..<marker.lowerBound])
        let tag = String(stem[marker.upperBound...])
        guard !tag.isEmpty, tag.allSatisfy(\.isLetter) else { return nil }
        guard let a = tensors[stem + "_A"], let b = tensors[stem + "_B"], let rows = tensors[stem + "_rows"] else {
            throw CheckpointError(path, "\(stem) lacks its _A, _B or _rows tensor")
        }
        let indices = rows.values.map { Int(exactly: $0) }
        guard rows.shape.count == 1, b.shape.first == rows.count, indices.allSatisfy({ ($0 ?? -1) >= 0 }),
              Set(indices).count == indices.count else {
            throw CheckpointError(path, "\(stem)_rows must hold B's \(b.shape.first ?? 0) distinct row indices")
        }
        return RowFactor(layer: layer, tag: tag, a: a, b: b, rows: indices.map { $0! })
    }

    /// Writes the adapter (metadata: format, method, rank, alpha, base_sha256 and `metadata`'s entries).
    public func write(to path: String) throws {
        var tensors: [String: (shape: [Int], values: [Float])] = [:]
        for (layer, pair) in factors {
            tensors[layer + ".lora_A"] = (pair.a.shape, pair.a.values)
            tensors[layer + ".lora_B"] = (pair.b.shape, pair.b.values)
        }
        for (stem, row) in rowFactors {
            tensors[stem + "_A"] = (row.a.shape, row.a.values)
            tensors[stem + "_B"] = (row.b.shape, row.b.values)
            tensors[stem + "_rows"] = ([row.rows.count], row.rows.map(Float.init))
        }
        var all = metadata
        all["format"] = "volsam-adapter"
        all["method"] = "lora"
        all["rank"] = String(rank)
        all["alpha"] = String(alpha)
        all["base_sha256"] = baseSHA256
        try SafeTensorsWriter.write(tensors, metadata: all, to: path)
    }

    /// The base tensors with every adapted weight merged: W + alpha / rank B A (on a row LoRA's rows). A layer the
    /// base lacks, or whose weight does not fit, is an error naming the adapter file.
    public func merged(into tensors: [String: CheckpointTensor], adapterPath: String) throws -> [String: CheckpointTensor] {
        var out = tensors
        typealias Update = (layer: String, a: CheckpointTensor, b: CheckpointTensor, rows: [Int]?)
        var updates: [Update] = factors.map { ($0.key, $0.value.a, $0.value.b, nil) }
        updates += rowFactors.values.map { ($0.layer, $0.a, $0.b, $0.rows) }
        updates.sort { ($0.layer, $0.rows?.first ?? -1) < ($1.layer, $1.rows?.first ?? -1) }
        for update in updates {
            guard let base = out[update.layer + ".weight"] else {
                throw CheckpointError(adapterPath, "adapts \(update.layer), which the base weights lack")
            }
            let inputs = update.a.shape[1], rows = update.rows ?? Array(0..<update.b.shape[0])
            let fits = update.rows == nil ? base.shape.first == rows.count : base.shape.first.map { n in rows.allSatisfy { $0 < n } } ?? false
            guard base.shape.count == 2, base.shape[1] == inputs, fits else {
                let place = update.rows == nil ? "" : " on rows up to \(rows.max() ?? 0)"
                throw CheckpointError(adapterPath, "\(update.layer): B A is \([rows.count, inputs])\(place), the base weight \(base.shape)")
            }
            out[update.layer + ".weight"] = CheckpointTensor(shape: base.shape, storedType: base.storedType,
                                                            values: merge(base.values, update.a, update.b, rows: rows))
        }
        return out
    }

    /// `weight` (row-major, a.shape[1] columns) + alpha / rank B A, row j of B A added to weight row rows[j].
    func merge(_ weight: [Float], _ a: CheckpointTensor, _ b: CheckpointTensor, rows: [Int]) -> [Float] {
        var values = weight
        let scale = Float(alpha / Double(rank)), inputs = a.shape[1]
        for (j, row) in rows.enumerated() {
            for i in 0..<inputs {
                var sum: Float = 0
                for r in 0..<rank { sum += b.values[j * rank + r] * a.values[r * inputs + i] }
                values[row * inputs + i] += scale * sum
            }
        }
        return values
    }
}
