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
        if let lora {
            let update = x.multiplied(by: lora.a, transposeOther: true).multiplied(by: lora.b, transposeOther: true)
            for i in y.values.indices { y.values[i] += lora.scale * update.values[i] }
        }
        return y
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
        if let lora {
            // y += s (x A^T) B^T: dB = s dy^T (x A^T), dA = s (dy B)^T x, dx += s (dy B) A
            let xa = x.multiplied(by: lora.a, transposeOther: true), dyb = dy.multiplied(by: lora.b)
            gradients.add(name + ".lora_B", dy.multiplied(by: xa, transposeSelf: true).values.map { $0 * lora.scale })
            gradients.add(name + ".lora_A", dyb.multiplied(by: x, transposeSelf: true).values.map { $0 * lora.scale })
            let back = dyb.multiplied(by: lora.a)
            for i in dx.values.indices { dx.values[i] += lora.scale * back.values[i] }
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
