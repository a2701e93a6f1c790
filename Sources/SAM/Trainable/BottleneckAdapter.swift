import Foundation
import Tensor

/// Med-SA's bottleneck adapter: fc2(GELU(fc1(x))), dim -> dim / 4 -> dim (layers NAME.D_fc1, NAME.D_fc2 as in
/// Med-SA's Adapter), added to its input after an attention (`skip`) or scaled (0.5) beside an MLP. fc1 starts as
/// PyTorch's nn.Linear does (kaiming-uniform weight and uniform bias, bound 1 / sqrt(dim), from a seed), fc2 at zero,
/// so the untrained adapter changes nothing.
public struct BottleneckAdapter<S: TrainingScalar>: Sendable {
    public let name: String
    public var down: DenseLayer<S>, up: DenseLayer<S>
    public let skip: Bool, scale: S

    /// What the backward pass needs.
    public struct Cache: Sendable {
        let x: Matrix<S>, hidden: Matrix<S>, activated: Matrix<S>
    }

    public static func fc1(_ name: String) -> String { name + ".D_fc1" }
    public static func fc2(_ name: String) -> String { name + ".D_fc2" }

    public init(name: String, down: DenseLayer<S>, up: DenseLayer<S>, skip: Bool, scale: S) {
        (self.name, self.down, self.up, self.skip, self.scale) = (name, down, up, skip, scale)
        self.down.trainsWeight = true
        self.up.trainsWeight = true
    }

    /// A new adapter of width `dim` (bottleneck dim / 4), fc1 drawn from `random`, fc2 zero.
    public init(name: String, dim: Int, skip: Bool, scale: S = 1, random: inout SeededRandom) {
        let hidden = dim / 4, bound = 1 / Double(dim).squareRoot()
        func draw(_ n: Int) -> [S] { (0..<n).map { _ in S((2 * random.uniform() - 1) * bound) } }
        let weight = draw(hidden * dim), bias = draw(hidden)
        self.init(name: name, down: DenseLayer(name: Self.fc1(name), weight: Matrix(rows: hidden, columns: dim, values: weight), bias: bias),
                  up: DenseLayer(name: Self.fc2(name), weight: Matrix(zeros: dim, hidden), bias: [S](repeating: 0, count: dim)),
                  skip: skip, scale: scale)
    }

    @_specialize(exported: true, where S == Float)
    @_specialize(exported: true, where S == Double)
    public func forward(_ x: Matrix<S>) -> (y: Matrix<S>, cache: Cache) {
        let hidden = down.forward(x), activated = ActivationOp.gelu(hidden)
        var y = up.forward(activated)
        for i in y.values.indices { y.values[i] = scale * y.values[i] + (skip ? x.values[i] : 0) }
        return (y, Cache(x: x, hidden: hidden, activated: activated))
    }

    /// dx (with the skip's identity) and the four tensors' gradients.
    @_specialize(exported: true, where S == Float)
    @_specialize(exported: true, where S == Double)
    public func backward(_ dy: Matrix<S>, cache c: Cache, into gradients: inout ParameterGradients<S>) -> Matrix<S> {
        let scaled = scale == 1 ? dy : Matrix(rows: dy.rows, columns: dy.columns, values: dy.values.map { $0 * scale })
        let dActivated = up.backward(scaled, x: c.activated, into: &gradients)
        var dx = down.backward(ActivationOp.geluBackward(dActivated, x: c.hidden), x: c.x, into: &gradients)
        if skip { dx = dx + dy }
        return dx
    }

    /// Visits fc1's and fc2's weight and bias, in that order.
    public mutating func visit(_ body: (String, inout [S]) -> Void) {
        body(down.name + ".weight", &down.weight.values)
        body(down.name + ".bias", &down.bias!)
        body(up.name + ".weight", &up.weight.values)
        body(up.name + ".bias", &up.bias!)
    }
}

/// The bottleneck adapters of one two-way block: after its self attention, its token-to-image attention and its
/// image-to-token attention (each with skip), and beside its MLP (scale 0.5, no skip).
public struct BlockAdapters<S: TrainingScalar>: Sendable {
    public var selfAttention: BottleneckAdapter<S>, tokenToImage: BottleneckAdapter<S>
    public var mlp: BottleneckAdapter<S>, imageToToken: BottleneckAdapter<S>

    public static func mlpName(_ block: String) -> String { block + ".mlp_adapter" }
    public static func attentionName(_ attention: String) -> String { attention + ".adapter" }

    /// The checkpoint layer an adapter named by mlpName or attentionName follows (the MLP's second linear layer, or
    /// the attention's output projection), whose width it must have; nil for another name.
    public static func followedLayer(_ adapter: String) -> String? {
        if adapter.hasSuffix(".mlp_adapter") { return CheckpointNames.TwoWayBlock.mlp(String(adapter.dropLast(".mlp_adapter".count)), 2) }
        if adapter.hasSuffix(".adapter") { return CheckpointNames.Attention.projection(String(adapter.dropLast(".adapter".count)), "out") }
        return nil
    }

    /// Every adapter of the block, in a fixed order: self attention, token to image, MLP, image to token.
    public var all: [BottleneckAdapter<S>] { [selfAttention, tokenToImage, mlp, imageToToken] }

    public mutating func visit(_ body: (String, inout [S]) -> Void) {
        selfAttention.visit(body)
        tokenToImage.visit(body)
        mlp.visit(body)
        imageToToken.visit(body)
    }
}
