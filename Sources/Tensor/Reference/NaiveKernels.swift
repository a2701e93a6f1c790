import Foundation

/// Slow, obviously correct versions of the fast kernels, for tests (double accumulation, plain loops).
public enum NaiveKernels {
    public static func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
        let inFeatures = weight.shape[1], outFeatures = weight.shape[0]
        let rows = x.count / inFeatures
        var out = [Float](repeating: 0, count: rows * outFeatures)
        for r in 0..<rows {
            for o in 0..<outFeatures {
                var sum = Double(bias?.data[o] ?? 0)
                for i in 0..<inFeatures { sum += Double(x.data[r * inFeatures + i]) * Double(weight.data[o * inFeatures + i]) }
                out[r * outFeatures + o] = Float(sum)
            }
        }
        return Tensor(shape: Array(x.shape.dropLast()) + [outFeatures], data: out)
    }
}

extension NaiveKernels {
    /// GELU with libm's erf, in Double.
    public static func gelu(_ values: [Float]) -> [Float] {
        values.map { x in Float(0.5 * Double(x) * (1 + Foundation.erf(Double(x) / 2.0.squareRoot()))) }
    }
}
