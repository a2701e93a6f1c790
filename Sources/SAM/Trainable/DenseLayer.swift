import Foundation
import Tensor

/// Gradients of the trainable parameters, by checkpoint name (a LoRA's factors as NAME.lora_A and NAME.lora_B).
public struct ParameterGradients<S: TrainingScalar>: Sendable {
    public var values: [String: [S]] = [:]

    public init() {}

    /// Adds `gradient` to what `name` holds (a parameter used twice gets both contributions).
    public mutating func add(_ name: String, _ gradient: [S]) {
        if let existing = values[name] {
            values[name] = zip(existing, gradient).map { $0 + $1 }
        } else {
            values[name] = gradient
        }
    }
}

/// A low-rank update of a dense layer's weight, W + scale B A (LoRA): A [rank, in], B [out, rank].
public struct LowRankUpdate<S: TrainingScalar>: Sendable {
    public var a: Matrix<S>, b: Matrix<S>
    public let scale: S

    public init(a: Matrix<S>, b: Matrix<S>, scale: S) {
        precondition(a.rows == b.columns, "A's rank \(a.rows) and B's \(b.columns) differ")
        (self.a, self.b, self.scale) = (a, b, scale)
    }
}

/// A LoRA on some output rows of a dense layer only, W[rows] + scale B A: A [rank, in], B [rows.count, rank]. TinyViT's
/// qkv output holds [q k v] per head, so LoRA on "q and v" is two of these, on the q rows and the v rows of every
/// head; its tensors are NAME.lora_TAG_A and NAME.lora_TAG_B.
public struct RowLowRankUpdate<S: TrainingScalar>: Sendable {
    public var a: Matrix<S>, b: Matrix<S>
    public let rows: [Int], scale: S, tag: String

    public init(a: Matrix<S>, b: Matrix<S>, rows: [Int], scale: S, tag: String) {
        precondition(a.rows == b.columns && b.rows == rows.count, "A's rank, B's rank and the rows must agree")
        (self.a, self.b, self.rows, self.scale, self.tag) = (a, b, rows, scale, tag)
    }
}

/// A linear layer of the plain (trainable) model, y = x W^T + b (+ scale x A^T B^T with a LoRA), named by its
/// checkpoint module path. The forward pass is DenseOp's; the backward pass returns dx and the gradients of
/// what trains: the weight and bias when `trainsWeight`, the LoRA factors when there is one, the singular values'
/// scale and shift (NAME.svd_scale, NAME.svd_shift) when the weight is S-SAM's (`weight` is then kept equal to
/// the tuning's recomposed weight: `recompose()` after each update).
public struct DenseLayer<S: TrainingScalar>: Sendable {
    public let name: String
    public var weight: Matrix<S>
    public var bias: [S]?
    public var lora: LowRankUpdate<S>?
    /// LoRAs on some output rows (TinyViT's per-head q and v).
    public var rowLoRAs: [RowLowRankUpdate<S>] = []
    public var singularValues: SingularValueTuning<S>?
    public var trainsWeight = false

    public init(name: String, weight: Matrix<S>, bias: [S]?) {
        (self.name, self.weight, self.bias) = (name, weight, bias)
    }

    /// Sets the weight from the singular-value tuning (after its scale or shift changed).
    public mutating func recompose() {
        if let singularValues { weight = singularValues.weight }
    }

    public var inputs: Int { weight.columns }
    public var outputs: Int { weight.rows }

    @_specialize(exported: true, where S == Float)
    @_specialize(exported: true, where S == Double)
    public func forward(_ x: Matrix<S>) -> Matrix<S> {
        var y = DenseOp.forward(x, weight: weight, bias: bias)
        for (a, b, scale, rows, _) in lowRankUpdates {
            let part = x.multiplied(by: a, transposeOther: true).multiplied(by: b, transposeOther: true)
            for n in 0..<y.rows {
                for (j, row) in rows.enumerated() { y.values[n * y.columns + row] += scale * part.values[n * part.columns + j] }
            }
        }
        return y
    }

    /// Every LoRA as (A, B, scale, the output rows it adds to, its tensors' stem NAME.lora or NAME.lora_TAG).
    var lowRankUpdates: [(a: Matrix<S>, b: Matrix<S>, scale: S, rows: [Int], stem: String)] {
        (lora.map { [($0.a, $0.b, $0.scale, Array(0..<outputs), name + ".lora")] } ?? [])
            + rowLoRAs.map { ($0.a, $0.b, $0.scale, $0.rows, name + ".lora_" + $0.tag) }
    }

    /// The weight with every row LoRA merged in (W[rows] + scale B A), for the fused engine.
    public var weightWithRowLoRAs: Matrix<S> {
        var merged = weight
        for update in rowLoRAs {
            let product = update.b.multiplied(by: update.a)
            for (j, row) in update.rows.enumerated() {
                for i in 0..<inputs { merged.values[row * inputs + i] += update.scale * product.values[j * inputs + i] }
            }
        }
        return merged
    }

    /// dx (always) and, into `gradients`, what trains.
    @_specialize(exported: true, where S == Float)
    @_specialize(exported: true, where S == Double)
    public func backward(_ dy: Matrix<S>, x: Matrix<S>, into gradients: inout ParameterGradients<S>) -> Matrix<S> {
        var dx = dy.multiplied(by: weight)
        if trainsWeight {
            gradients.add(name + ".weight", dy.multiplied(by: x, transposeSelf: true).values)
            if bias != nil { gradients.add(name + ".bias", dy.columnSums()) }
        }
        if let singularValues {
            let (dScale, dShift) = singularValues.gradients(dy: dy, x: x)
            gradients.add(name + ".svd_scale", dScale)
            gradients.add(name + ".svd_shift", dShift)
        }
        for (a, b, scale, rows, stem) in lowRankUpdates {
            // y[:, rows] += s (x A^T) B^T: dB = s dy_r^T (x A^T), dA = s (dy_r B)^T x, dx += s (dy_r B) A, dy_r = dy[:, rows]
            var dyRows = dy
            if rows.count != dy.columns || rows.enumerated().contains(where: { $0.offset != $0.element }) {
                dyRows = Matrix<S>(zeros: dy.rows, rows.count)
                for n in 0..<dy.rows { for (j, row) in rows.enumerated() { dyRows.values[n * rows.count + j] = dy.values[n * dy.columns + row] } }
            }
            let xa = x.multiplied(by: a, transposeOther: true), dyb = dyRows.multiplied(by: b)
            gradients.add(stem + "_B", dyRows.multiplied(by: xa, transposeSelf: true).values.map { $0 * scale })
            gradients.add(stem + "_A", dyb.multiplied(by: x, transposeSelf: true).values.map { $0 * scale })
            let back = dyb.multiplied(by: a)
            for i in dx.values.indices { dx.values[i] += scale * back.values[i] }
        }
        return dx
    }
}

/// A layer normalization of the plain model over each row, with trainable weight and bias when `trains`.
public struct NormLayer<S: TrainingScalar>: Sendable {
    public let name: String
    public var weight: [S], bias: [S]
    public let epsilon: S
    public var trains = false

    public init(name: String, weight: [S], bias: [S], epsilon: S) {
        (self.name, self.weight, self.bias, self.epsilon) = (name, weight, bias, epsilon)
    }

    @_specialize(exported: true, where S == Float)
    @_specialize(exported: true, where S == Double)
    public func forward(_ x: Matrix<S>) -> (y: Matrix<S>, cache: LayerNormOp.Cache<S>) {
        LayerNormOp.forward(x, weight: weight, bias: bias, epsilon: epsilon)
    }

    @_specialize(exported: true, where S == Float)
    @_specialize(exported: true, where S == Double)
    public func backward(_ dy: Matrix<S>, cache: LayerNormOp.Cache<S>, into gradients: inout ParameterGradients<S>) -> Matrix<S> {
        let result = LayerNormOp.backward(dy, cache: cache, weight: weight)
        if trains {
            gradients.add(name + ".weight", result.dWeight)
            gradients.add(name + ".bias", result.dBias)
        }
        return result.dx
    }
}
