import Foundation
import Tensor

/// The encoder's neck in the plain model: 1x1 conv (no bias), LayerNorm2d, 3x3 conv (no bias), LayerNorm2d (eps
/// 1e-6), on rows = the embedding grid's pixels; frozen, with the input's gradient (for training blocks before it).
public struct PlainNeck<S: TrainingScalar>: Sendable {
    public var project: DenseLayer<S>, norm1: NormLayer<S>, norm2: NormLayer<S>
    /// The 3x3 conv's weight as Conv3x3Op takes it, [out, 9 * out].
    public let conv: Matrix<S>

    /// What the backward pass needs.
    public struct Cache: Sendable {
        let height: Int, width: Int, x: Matrix<S>
        let norm1: LayerNormOp.Cache<S>, norm2: LayerNormOp.Cache<S>
    }

    public init(_ source: ParameterSource<S>, inputs: Int, outputs: Int) {
        typealias Names = CheckpointNames.Encoder
        project = DenseLayer(name: Names.neck(0), weight: Matrix(rows: outputs, columns: inputs,
                                                                  values: source(Names.neck(0) + ".weight", [outputs, inputs, 1, 1])), bias: nil)
        func norm(_ path: String) -> NormLayer<S> {
            NormLayer(name: path, weight: source(path + ".weight", [outputs]), bias: source(path + ".bias", [outputs]), epsilon: 1e-6)
        }
        (norm1, norm2) = (norm(Names.neck(1)), norm(Names.neck(3)))
        conv = Conv3x3Op.weight(fromPyTorch: source(Names.neck(2) + ".weight", [outputs, outputs, 3, 3]), outputs: outputs, inputs: outputs)
    }

    @_specialize(exported: true, where S == Float)
    @_specialize(exported: true, where S == Double)
    public func forward(_ x: Matrix<S>, height: Int, width: Int) -> (y: Matrix<S>, cache: Cache) {
        let n1 = norm1.forward(project.forward(x))
        let n2 = norm2.forward(Conv3x3Op.forward(n1.y, height: height, width: width, weight: conv))
        return (n2.y, Cache(height: height, width: width, x: x, norm1: n1.cache, norm2: n2.cache))
    }

    @_specialize(exported: true, where S == Float)
    @_specialize(exported: true, where S == Double)
    public func backward(_ dy: Matrix<S>, cache c: Cache, into g: inout ParameterGradients<S>) -> Matrix<S> {
        let dConv = Conv3x3Op.backward(norm2.backward(dy, cache: c.norm2, into: &g), height: c.height, width: c.width, weight: conv)
        return project.backward(norm1.backward(dConv, cache: c.norm1, into: &g), x: c.x, into: &g)
    }
}
