import Tensor

/// The encoder's fused kernels and the decoder's no-packing GEMM specialized for 16 lanes. This module is compiled for AVX-512 (Package.swift): any
/// of its code, `table` included, may only run on a CPU that has it, so the choice is made elsewhere
/// (SAM's KernelSelection, compiled for AVX2) and only then is `table` read.
public enum AVX512Kernels {
    typealias Lanes = SIMD16<Float>

    /// The 16-lane versions of the kernels EngineKernels dispatches.
    public static let table = EngineKernels.Table(
        windowAttention: { x, window, heads, weights in
            WindowAttentionKernel<Lanes>.forward(x, window: window, heads: heads, weights: weights)
        },
        invertedResidual: { x, expand, expandBias, depthwise, depthwiseBias, project, projectBias, stride, residual in
            InvertedResidualKernel<Lanes>.forward(x, expand: expand, expandBias: expandBias, depthwise: depthwise,
                                                  depthwiseBias: depthwiseBias, project: project, projectBias: projectBias,
                                                  stride: stride, residual: residual)
        },
        residualMLP: { x, normWeight, normBias, epsilon, fc1, fc1Bias, fc2, fc2Bias in
            ResidualMLPKernel<Lanes>.forward(x, normWeight: normWeight, normBias: normBias, epsilon: epsilon, fc1: fc1,
                                             fc1Bias: fc1Bias, fc2: fc2, fc2Bias: fc2Bias)
        },
        smallGEMM: { SmallGEMMKernel<Lanes>.multiply($0, lda: $1, $2, into: $3, ldc: $4, m: $5, accumulate: $6, bias: $7) })
}
