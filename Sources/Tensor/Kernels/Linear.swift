import Foundation

/// Fully connected layers (torch.nn.Linear): y = x W^T + b over the last dimension.
public enum Linear {
    /// `x` [..., in], `weight` [out, in], `bias` [out] -> [..., out].
    public static func forward(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
        let inFeatures = weight.shape[1], outFeatures = weight.shape[0]
        precondition(x.shape.last == inFeatures, "input \(x.shape) does not end in \(inFeatures)")
        let rows = x.count / inFeatures
        var out = Tensor.uninitialized(Array(x.shape.dropLast()) + [outFeatures])
        x.data.withUnsafeBufferPointer { xp in weight.data.withUnsafeBufferPointer { wp in
            out.data.withUnsafeMutableBufferPointer { op in
                if let bias {
                    bias.data.withUnsafeBufferPointer { b in
                        for r in 0..<rows { (op.baseAddress! + r * outFeatures).update(from: b.baseAddress!, count: outFeatures) }
                    }
                }
                GEMM.multiply(xp.baseAddress!, wp.baseAddress!, into: op.baseAddress!, m: rows, n: outFeatures,
                              k: inFeatures, transposeB: true, beta: bias == nil ? 0 : 1)
            }
        } }
        return out
    }

    /// The same layer for a few rows (SAM's prompt tokens) on the current thread, from W^T packed once (`SmallGEMM.PackedB(transposing:)`):
    /// sgemm would pack all of W again on every call.
    public static func forward(_ x: Tensor, packed: SmallGEMM.PackedB, bias: Tensor?) -> Tensor {
        let (inFeatures, outFeatures) = (packed.k, packed.n)
        precondition(x.shape.last == inFeatures, "input \(x.shape) does not end in \(inFeatures)")
        let rows = x.count / inFeatures
        var out = Tensor.uninitialized(Array(x.shape.dropLast()) + [outFeatures])
        x.data.withUnsafeBufferPointer { xp in out.data.withUnsafeMutableBufferPointer { op in
            if let bias {
                bias.data.withUnsafeBufferPointer { b in
                    for r in 0..<rows { (op.baseAddress! + r * outFeatures).update(from: b.baseAddress!, count: outFeatures) }
                }
            }
            SmallGEMM.multiply(xp.baseAddress!, lda: inFeatures, packed, into: op.baseAddress!, ldc: outFeatures, m: rows,
                               accumulate: bias != nil)
        } }
        return out
    }
}
