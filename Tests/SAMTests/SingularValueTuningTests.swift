import Foundation
import Testing
@testable import SAM
@testable import Tensor

/// S-SAM's parameterisation: LAPACK's SVD reconstructs its matrix with orthonormal factors, the untrained tuning is
/// the frozen weight, and the decoder's gradients of every singular-value scale and shift and every layer norm
/// match central finite differences in Double.
@Suite struct SingularValueTuningTests {
    static func random(_ rows: Int, _ columns: Int, _ g: inout SeededRandom) -> Matrix<Double> {
        Matrix(rows: rows, columns: columns, values: (0..<(rows * columns)).map { _ in 2 * g.uniform() - 1 })
    }

    @Test(arguments: [(7, 5), (5, 7), (6, 6)]) func theSVDReconstructsItsMatrix(_ shape: (Int, Int)) throws {
        var g = SeededRandom(seed: 3)
        let a = Self.random(shape.0, shape.1, &g)
        let svd = try #require(SingularValueDecomposition.decompose(a))
        let k = min(shape.0, shape.1)
        #expect(svd.u.rows == shape.0 && svd.u.columns == k && svd.vt.rows == k && svd.vt.columns == shape.1 && svd.s.count == k)
        #expect(zip(svd.s, svd.s.dropFirst()).allSatisfy { $0 >= $1 } && svd.s.last! > 0, "descending: \(svd.s)")
        var scaled = svd.u
        for r in 0..<scaled.rows { for c in 0..<k { scaled.values[r * k + c] *= svd.s[c] } }
        let back = scaled.multiplied(by: svd.vt)
        #expect(zip(back.values, a.values).allSatisfy { abs($0 - $1) < 1e-12 })
        let utu = svd.u.multiplied(by: svd.u, transposeSelf: true), vvt = svd.vt.multiplied(by: svd.vt, transposeOther: true)
        for i in 0..<k {
            for j in 0..<k {
                #expect(abs(utu.values[i * k + j] - (i == j ? 1 : 0)) < 1e-12 && abs(vvt.values[i * k + j] - (i == j ? 1 : 0)) < 1e-12)
            }
        }
    }

    static func smallDecoder() -> PlainMaskDecoder<Double> {
        var g = SeededRandom(seed: 11)
        return PlainMaskDecoder<Double>({ name, shape in
            let isNormWeight = (name.contains("norm") || name.contains("output_upscaling.1")) && name.hasSuffix(".weight")
            return (0..<shape.reduce(1, *)).map { _ in (isNormWeight ? 1 : 0) + (g.uniform() - 0.5) }
        }, dim: 16, grid: 4, heads: 2, mlpDim: 24, depth: 2, maskTokens: 4)
    }

    @Test func untrainedTuningIsTheFrozenDecoder() throws {
        let frozen = Self.smallDecoder()
        var tuned = frozen
        try tuned.addSingularValueTuning()
        #expect(tuned.blocks[1].tokenToImage.v.singularValues != nil && tuned.finalAttention.q.singularValues != nil)
        #expect(zip(tuned.finalAttention.q.weight.values, frozen.finalAttention.q.weight.values).allSatisfy { abs($0 - $1) < 1e-12 })
        #expect(tuned.blocks[0].tokenToImage.v.weight.rows == 8, "downsampled attention: a 8 x 16 weight")
    }

    @Test func gradientsMatchFiniteDifferences() throws {
        var decoder = Self.smallDecoder()
        try decoder.addSingularValueTuning()
        var g = SeededRandom(seed: 13)
        let (embedding, dense, pe, sparse) = (Self.random(16, 16, &g), Self.random(16, 16, &g), Self.random(16, 16, &g), Self.random(2, 16, &g))
        let r = (0..<256).map { _ in 2 * g.uniform() - 1 }
        func loss(_ d: PlainMaskDecoder<Double>) -> Double {
            zip(d.forward(embedding: embedding, dense: dense, imagePE: pe, sparse: sparse).logits, r).map(*).reduce(0, +)
        }
        let gradients = decoder.backward(r, cache: decoder.forward(embedding: embedding, dense: dense, imagePE: pe, sparse: sparse).cache)
        // 7 tuned projections x (scale, shift) + 10 layer norms x (weight, bias)
        #expect(gradients.values.count == 7 * 2 * 2 + 10 * 2, "\(gradients.values.keys.sorted())")
        let worst = TrainableFiniteDifferences.worstError(gradients, decoder: decoder, loss: loss) { count in
            (0..<count).map { _ in 2 * g.uniform() - 1 }
        }
        print("singular-value tuning backward: worst relative error \(worst) over \(gradients.values.count) tensors")
    }
}
