import Foundation
import Testing
@testable import Tensor
@testable import Training

/// Every differentiable op's backward pass against central finite differences, in Double on small random shapes.
/// Each op's output y is reduced to L = sum(y * R) for a fixed random R, so dL/dy = R; every input's analytic
/// gradient must equal the numerical one to within `tolerance` times the gradient's largest magnitude.
@Suite struct GradientCheckTests {
    static let tolerance = 1e-7
    static let step = 1e-5

    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func random(_ count: Int, _ g: inout Generator, scale: Double = 1) -> [Double] {
        (0..<count).map { _ in Double.random(in: -scale...scale, using: &g) }
    }

    static func matrix(_ rows: Int, _ columns: Int, _ g: inout Generator) -> Matrix<Double> {
        Matrix(rows: rows, columns: columns, values: random(rows * columns, &g))
    }

    /// dL/dvalues by central differences, L = loss(values).
    static func numeric(_ values: [Double], _ loss: ([Double]) -> Double) -> [Double] {
        values.indices.map { i in
            var plus = values, minus = values
            plus[i] += step
            minus[i] -= step
            return (loss(plus) - loss(minus)) / (2 * step)
        }
    }

    /// The largest difference relative to the gradient's largest magnitude.
    static func error(_ analytic: [Double], _ numeric: [Double]) -> Double {
        let scale = max(1e-12, numeric.map(abs).max() ?? 0)
        return zip(analytic, numeric).map { abs($0 - $1) }.max()! / scale
    }

    static func dot(_ y: Matrix<Double>, _ r: Matrix<Double>) -> Double { zip(y.values, r.values).map(*).reduce(0, +) }

    @Test func dense() {
        var g = Generator(state: 1)
        let x = Self.matrix(5, 7, &g), w = Self.matrix(4, 7, &g), b = Self.random(4, &g), r = Self.matrix(5, 4, &g)
        let grads = DenseOp.backward(r, x: x, weight: w)
        let loss = { (x: Matrix<Double>, w: Matrix<Double>, b: [Double]) in Self.dot(DenseOp.forward(x, weight: w, bias: b), r) }
        #expect(Self.error(grads.dx.values, Self.numeric(x.values) { loss(Matrix(rows: 5, columns: 7, values: $0), w, b) }) < Self.tolerance)
        #expect(Self.error(grads.dWeight.values, Self.numeric(w.values) { loss(x, Matrix(rows: 4, columns: 7, values: $0), b) }) < Self.tolerance)
        #expect(Self.error(grads.dBias, Self.numeric(b) { loss(x, w, $0) }) < Self.tolerance)
    }

    @Test func layerNorm() {
        var g = Generator(state: 2)
        let x = Self.matrix(3, 9, &g), w = Self.random(9, &g), b = Self.random(9, &g), r = Self.matrix(3, 9, &g)
        let (_, cache) = LayerNormOp.forward(x, weight: w, bias: b, epsilon: 1e-5)
        let grads = LayerNormOp.backward(r, cache: cache, weight: w)
        let loss = { (x: Matrix<Double>, w: [Double], b: [Double]) in Self.dot(LayerNormOp.forward(x, weight: w, bias: b, epsilon: 1e-5).y, r) }
        #expect(Self.error(grads.dx.values, Self.numeric(x.values) { loss(Matrix(rows: 3, columns: 9, values: $0), w, b) }) < Self.tolerance)
        #expect(Self.error(grads.dWeight, Self.numeric(w) { loss(x, $0, b) }) < Self.tolerance)
        #expect(Self.error(grads.dBias, Self.numeric(b) { loss(x, w, $0) }) < Self.tolerance)
    }

    @Test func activations() {
        var g = Generator(state: 3)
        let x = Matrix(rows: 4, columns: 6, values: Self.random(24, &g, scale: 3)), r = Self.matrix(4, 6, &g)
        let reshape = { (v: [Double]) in Matrix(rows: 4, columns: 6, values: v) }
        #expect(Self.error(ActivationOp.geluBackward(r, x: x).values,
                           Self.numeric(x.values) { Self.dot(ActivationOp.gelu(reshape($0)), r) }) < Self.tolerance)
        #expect(Self.error(ActivationOp.reluBackward(r, x: x).values,
                           Self.numeric(x.values) { Self.dot(ActivationOp.relu(reshape($0)), r) }) < Self.tolerance)
    }

    /// Float's GELU and its backward run 8 lanes at a time through the engine's erf and exp: within float accuracy
    /// of the definition in Double, over [-10, 10] and a length that leaves a tail.
    @Test func floatGELUMatchesTheDefinition() {
        let x = (0..<1001).map { Double($0) / 50 - 10 }, dy = x.map { 0.3 + 0.1 * sin($0) }
        let (forward, backward) = (Float.gelu(x.map(Float.init)), Float.geluBackward(dy.map(Float.init), x: x.map(Float.init)))
        let (expected, expectedBackward) = (Double.gelu(x), Double.geluBackward(dy, x: x))
        let worst = zip(forward, expected).map { abs(Double($0) - $1) / max(1, abs($1)) }.max()!
        let worstBackward = zip(backward, expectedBackward).map { abs(Double($0) - $1) / max(1, abs($1)) }.max()!
        #expect(worst < 1e-6 && worstBackward < 1e-6, "GELU \(worst), its backward \(worstBackward)")
    }

    /// Two heads, a relative-position bias, different query and key counts.
    @Test func attention() {
        var g = Generator(state: 4)
        let (lq, lk, heads, kd, vd) = (5, 7, 2, 3, 4)
        let q = Self.matrix(lq, heads * kd, &g), k = Self.matrix(lk, heads * kd, &g), v = Self.matrix(lk, heads * vd, &g)
        let bias = [Self.matrix(lq, lk, &g), Self.matrix(lq, lk, &g)], r = Self.matrix(lq, heads * vd, &g)
        let scale = 1 / Double(kd).squareRoot()
        let (_, cache) = AttentionOp.forward(q: q, k: k, v: v, heads: heads, scale: scale, bias: bias)
        let grads = AttentionOp.backward(r, q: q, k: k, v: v, heads: heads, scale: scale, cache: cache)
        func loss(_ q: Matrix<Double>, _ k: Matrix<Double>, _ v: Matrix<Double>, _ bias: [Matrix<Double>]) -> Double {
            Self.dot(AttentionOp.forward(q: q, k: k, v: v, heads: heads, scale: scale, bias: bias).y, r)
        }
        #expect(Self.error(grads.dq.values, Self.numeric(q.values) { loss(Matrix(rows: lq, columns: heads * kd, values: $0), k, v, bias) }) < Self.tolerance)
        #expect(Self.error(grads.dk.values, Self.numeric(k.values) { loss(q, Matrix(rows: lk, columns: heads * kd, values: $0), v, bias) }) < Self.tolerance)
        #expect(Self.error(grads.dv.values, Self.numeric(v.values) { loss(q, k, Matrix(rows: lk, columns: heads * vd, values: $0), bias) }) < Self.tolerance)
        for h in 0..<heads {
            let numeric = Self.numeric(bias[h].values) { values in
                var changed = bias
                changed[h] = Matrix(rows: lq, columns: lk, values: values)
                return loss(q, k, v, changed)
            }
            #expect(Self.error(grads.dBias[h].values, numeric) < Self.tolerance)
        }
    }

    @Test func transposedConvolution() {
        var g = Generator(state: 5)
        let (h, w, cin, cout) = (3, 2, 4, 3)
        let x = Self.matrix(h * w, cin, &g), weight = Self.random(cin * cout * 4, &g), bias = Self.random(cout, &g)
        let r = Self.matrix(4 * h * w, cout, &g)
        let grads = TransposedConvOp.backward(r, x: x, height: h, width: w, weight: weight)
        let loss = { (x: Matrix<Double>, weight: [Double], bias: [Double]) in
            Self.dot(TransposedConvOp.forward(x, height: h, width: w, weight: weight, bias: bias), r)
        }
        #expect(Self.error(grads.dx.values, Self.numeric(x.values) { loss(Matrix(rows: h * w, columns: cin, values: $0), weight, bias) }) < Self.tolerance)
        #expect(Self.error(grads.dWeight, Self.numeric(weight) { loss(x, $0, bias) }) < Self.tolerance)
        #expect(Self.error(grads.dBias, Self.numeric(bias) { loss(x, weight, $0) }) < Self.tolerance)
    }

    /// Up (the logits back to a slice) and down, non-integer ratios.
    @Test(arguments: [(4, 5, 9, 7), (8, 6, 3, 5)])
    func bilinearResize(h: Int, w: Int, oh: Int, ow: Int) {
        var g = Generator(state: UInt64(h * 10 + oh))
        let x = Self.matrix(h * w, 2, &g), r = Self.matrix(oh * ow, 2, &g)
        let dx = BilinearResizeOp.backward(r, height: h, width: w, toHeight: oh, width: ow)
        let numeric = Self.numeric(x.values) {
            Self.dot(BilinearResizeOp.forward(Matrix(rows: h * w, columns: 2, values: $0), height: h, width: w, toHeight: oh, width: ow), r)
        }
        #expect(Self.error(dx.values, numeric) < Self.tolerance)
    }

    @Test func losses() {
        var g = Generator(state: 6)
        let z = Self.random(30, &g, scale: 4), t = (0..<30).map { Double($0 % 3 == 0 ? 1 : 0) }
        let ce = SegmentationLoss.crossEntropy(logits: z, target: t)
        #expect(Self.error(ce.gradient, Self.numeric(z) { SegmentationLoss.crossEntropy(logits: $0, target: t).loss }) < Self.tolerance)
        for squared in [false, true] {
            let dice = SegmentationLoss.dice(logits: z, target: t, squared: squared)
            #expect(Self.error(dice.gradient, Self.numeric(z) { SegmentationLoss.dice(logits: $0, target: t, squared: squared).loss }) < Self.tolerance)
        }
        let focal = SegmentationLoss.focal(logits: z, target: t)
        #expect(Self.error(focal.gradient, Self.numeric(z) { SegmentationLoss.focal(logits: $0, target: t).loss }) < Self.tolerance)
    }

    /// Known values: a perfect prediction has Dice loss near 0, cross-entropy of z = 0 is log 2.
    @Test func lossValues() {
        #expect(abs(SegmentationLoss.crossEntropy(logits: [0.0, 0.0], target: [1.0, 0.0]).loss - log(2)) < 1e-12)
        #expect(SegmentationLoss.dice(logits: [40.0, -40.0], target: [1.0, 0.0]).loss < 1e-5)
        #expect(abs(SegmentationLoss.dice(logits: [-40.0, -40.0], target: [1.0, 0.0]).loss - 1) < 1e-4)
    }
}
