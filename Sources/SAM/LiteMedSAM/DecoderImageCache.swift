import Foundation
import Parallelism
import Tensor

/// Decoder weights folded through the first two blocks' image LayerNorms (norm4) for SharedImageDecoding, built
/// once at load. Notation: X the image (embedding + no-mask embedding), Y = X + b_o1 (the first image-to-token
/// output bias), gamma_i/beta_i norm4 of block i, U the upscaling conv's weight [256, 4 * 64], pe the positional
/// encoding.
struct SharedImageWeights {
    /// [256, 1024]: W_k1^T | W_v1^T | W_q1^T (block 1's projections) | diag(gamma1) [W_k2 | W_v2 | W_q2]^T (block 2's)
    /// | diag(gamma1 gamma2) U; all but block 1's keys and values in head lanes (SAMAttention.headLane).
    let cacheWeight: Tensor
    /// What X . cacheWeight lacks (the positional encoding's and the biases' share), by section: [4096, w] each.
    let cacheOffsets: [Tensor]
    /// The column ranges of cacheWeight's sections: block 1's K, V, Q, block 2's basis, the upscaling basis.
    static let sections = [0..<128, 128..<256, 256..<384, 384..<768, 768..<1024]
    /// cacheWeight's block 2 basis [256, 384] and upscaling basis [256, 256] columns, contiguous.
    let secondBasisWeight: Tensor, upscaleWeight: Tensor
    /// Block 2's projections of (pe + beta1) plus their biases, keys and queries [4096, 256] (per row: the
    /// positional encoding), and values [128] (beta1 W_v2^T + b_v2, the same for every row).
    let secondOffset: Tensor, secondValueOffset: [Float]
    /// Column sums of cacheWeight's last 640 columns: the projections of the mean that LayerNorm subtracts.
    let normSums: [Float]
    /// [256, 256]: diag(gamma2) U, and its column sums.
    let secondUpscale: Tensor, secondUpscaleSums: [Float]
    /// (beta1 + b_o2) diag(gamma2) U, and beta2 U + the conv bias (per output column).
    let upscaleConstant: [Float], upscaleBias: [Float]
    /// b_o1, b_o2: the image-to-token output biases; beta... of norm4 used as is.
    let firstOutputBias: [Float], secondOutputBias: [Float]

    init(blocks: [TwoWayBlock], upscale: Tensor, upscaleBias convBias: Tensor, positional: Tensor) {
        let (first, second) = (blocks[0], blocks[1])
        let gamma1 = first.norm4.weight.data, beta1 = first.norm4.bias.data
        let gamma2 = second.norm4.weight.data, beta2 = second.norm4.bias.data
        let bo1 = first.imageToToken.out.bias!.data
        firstOutputBias = bo1
        secondOutputBias = second.imageToToken.out.bias!.data
        let projections = [first.tokenToImage.k, first.tokenToImage.v, first.imageToToken.q,
                           second.tokenToImage.k, second.tokenToImage.v, second.imageToToken.q]
        var weight = [Float](repeating: 0, count: 256 * 1024)
        for (index, dense) in projections.enumerated() {
            let lanes = index >= 2  // all but block 1's token-to-image keys and values go in head lanes
            for o in 0..<128 { for c in 0..<256 {
                weight[c * 1024 + index * 128 + (lanes ? SAMAttention.headLane(o) : o)] =
                    dense.weight.data[o * 256 + c] * (index < 3 ? 1 : gamma1[c])
            } }
        }
        for c in 0..<256 { for j in 0..<256 { weight[c * 1024 + 768 + j] = gamma1[c] * gamma2[c] * upscale.data[c * 256 + j] } }
        cacheWeight = Tensor(shape: [256, 1024], data: weight)
        secondBasisWeight = Tensor(shape: [256, 384], data: (0..<256).flatMap { weight[($0 * 1024 + 384)..<($0 * 1024 + 768)] })
        upscaleWeight = Tensor(shape: [256, 256], data: (0..<256).flatMap { weight[($0 * 1024 + 768)..<($0 * 1024 + 1024)] })
        normSums = (0..<640).map { j in (0..<256).reduce(Float(0)) { $0 + weight[$1 * 1024 + 384 + j] } }

        // Offsets: block 1's key and query projections see the positional encoding; the cached products of
        // blocks 2 and the upscaling start from Y = X + b_o1.
        var rowConstant = [Float](repeating: 0, count: 1024)
        for j in 0..<128 { rowConstant[128 + j] = first.tokenToImage.v.bias!.data[j] }
        for j in 384..<1024 { rowConstant[j] = (0..<256).reduce(Float(0)) { $0 + bo1[$1] * weight[$1 * 1024 + j] } }
        let firstKeys = Linear.forward(positional, weight: first.tokenToImage.k.weight, bias: first.tokenToImage.k.bias)
        let firstQueries = Self.headLanes(Linear.forward(positional, weight: first.imageToToken.q.weight,
                                                         bias: first.imageToToken.q.bias))
        let offset = Self.rowsOf(4096, 1024, constant: rowConstant, blocks: [(0, firstKeys), (256, firstQueries)])
        cacheOffsets = Self.sections.map { columns in
            Tensor(shape: [4096, columns.count], data: (0..<4096).flatMap { offset.data[($0 * 1024 + columns.lowerBound)..<($0 * 1024 + columns.upperBound)] })
        }

        let shifted = Tensor(shape: positional.shape, data: (0..<positional.count).map { positional.data[$0] + beta1[$0 % 256] })
        let secondKeys = Self.headLanes(Linear.forward(shifted, weight: second.tokenToImage.k.weight,
                                                       bias: second.tokenToImage.k.bias))
        let secondQueries = Self.headLanes(Linear.forward(shifted, weight: second.imageToToken.q.weight,
                                                          bias: second.imageToToken.q.bias))
        var valueConstant = [Float](repeating: 0, count: 384)
        let values = second.tokenToImage.v
        for o in 0..<128 {
            valueConstant[128 + o] = (0..<256).reduce(values.bias!.data[o]) { $0 + beta1[$1] * values.weight.data[o * 256 + $1] }
        }
        secondOffset = Self.rowsOf(4096, 256, constant: [Float](repeating: 0, count: 256),
                                   blocks: [(0, secondKeys), (128, secondQueries)])
        secondValueOffset = Self.headLanes(Tensor(shape: [1, 128], data: Array(valueConstant[128..<256]))).data

        var scaled = [Float](repeating: 0, count: 256 * 256)
        for c in 0..<256 { for j in 0..<256 { scaled[c * 256 + j] = gamma2[c] * upscale.data[c * 256 + j] } }
        secondUpscale = Tensor(shape: [256, 256], data: scaled)
        secondUpscaleSums = (0..<256).map { j in (0..<256).reduce(Float(0)) { $0 + scaled[$1 * 256 + j] } }
        let (b1, bo2) = (beta1, second.imageToToken.out.bias!.data)
        var constant = [Float](repeating: 0, count: 256)
        for c in 0..<256 { for j in 0..<256 { constant[j] += (b1[c] + bo2[c]) * scaled[c * 256 + j] } }
        upscaleConstant = constant
        let channels = convBias.count
        upscaleBias = (0..<256).map { j in
            (0..<256).reduce(convBias.data[j % channels]) { $0 + beta2[$1] * upscale.data[$1 * 256 + j] }
        }
    }

    /// Projections [n, 128] with their columns in head lanes (SAMAttention.headLane).
    static func headLanes(_ x: Tensor) -> Tensor {
        var out = x
        for r in 0..<x.shape[0] { for o in 0..<128 { out.data[r * 128 + SAMAttention.headLane(o)] = x.data[r * 128 + o] } }
        return out
    }

    /// [rows, width]: `constant` in every row, with `blocks` (column, [rows, w] tensor) written over it.
    static func rowsOf(_ rows: Int, _ width: Int, constant: [Float], blocks: [(Int, Tensor)]) -> Tensor {
        var data = [Float](repeating: 0, count: rows * width)
        for r in 0..<rows {
            for j in 0..<width { data[r * width + j] = constant[j] }
            for (column, block) in blocks {
                let w = block.shape[1]
                for j in 0..<w { data[r * width + column + j] = block.data[r * w + j] }
            }
        }
        return Tensor(shape: [rows, width], data: data)
    }
}

/// The image-side products the decoder needs for prompts without a mask input, computed once per embedding and
/// shared by all the prompts of a slice: X and X . cacheWeight + cacheOffset, by column section (each section
/// contiguous, so per-head reads stay within few pages).
struct DecoderImageCache {
    /// X = embedding + no-mask dense embedding, [4096, 256].
    let image: Tensor
    /// Block 1's projected keys and values (token-to-image) as the cached attention reads them (keys
    /// [8, 16, keyStride] by transposedHeads, values [8, 4096, 16] by headMajor), and queries (image-to-token)
    /// in head lanes [4096, 16, 8].
    let firstKeys: Tensor, firstValues: Tensor, firstQueries: Tensor
    /// Block 2's projection basis [4096, 384] and the upscaling basis [4096, 256] (see SharedImageDecoding).
    let secondBasis: Tensor, upscaleBasis: Tensor

    init(embedding: Tensor, noMaskDense: Tensor, weights: SharedImageWeights) {
        let n = 4096, sections = SharedImageWeights.sections
        precondition(embedding.count == n * 256 && noMaskDense.count == n * 256)
        var image = Tensor.uninitialized([n, 256])
        var products = sections.map { Tensor.uninitialized([n, $0.count]) }
        // X, and each section's offsets copied in as sgemm's C (beta 1), by row chunks on every thread.
        image.data.withUnsafeMutableBufferPointer { x in
            let target = UncheckedPointer(x.baseAddress!)
            withPointers([embedding, noMaskDense]) { source in
                ParallelLoop.forRanges(count: n, minimumChunk: 256) { rows in
                    let (e, d) = (source[0].pointer, source[1].pointer)
                    for i in (rows.lowerBound * 256)..<(rows.upperBound * 256) { target.pointer[i] = e[i] + d[i] }
                }
            }
        }
        for index in sections.indices {
            products[index].data.withUnsafeMutableBufferPointer { p in
                let (target, width) = (UncheckedPointer(p.baseAddress!), sections[index].count)
                withPointers([weights.cacheOffsets[index]]) { offset in
                    ParallelLoop.forRanges(count: n, minimumChunk: 256) { rows in
                        (target.pointer + rows.lowerBound * width).update(from: offset[0].pointer + rows.lowerBound * width,
                                                                          count: rows.count * width)
                    }
                }
            }
        }
        image.data.withUnsafeBufferPointer { x in weights.cacheWeight.data.withUnsafeBufferPointer { w in
            for (index, columns) in sections.enumerated() {
                products[index].data.withUnsafeMutableBufferPointer { p in
                    GEMM.multiply(x.baseAddress!, w.baseAddress! + columns.lowerBound, into: p.baseAddress!, m: n,
                                  n: columns.count, k: 256, beta: 1, ldb: 1024)
                }
            }
        } }
        self.image = image
        (firstKeys, firstValues, firstQueries) = (Self.transposedHeads(products[0]), Self.headMajor(products[1]), products[2])
        (secondBasis, upscaleBasis) = (products[3], products[4])
    }

    /// [n, 8 * 16] -> [8, 16, Attention.keyStride(for: n)], the padding columns zero; 8 x 8 blocks transposed in
    /// registers, row chunks on every thread.
    static func transposedHeads(_ x: Tensor) -> Tensor {
        let n = x.shape[0], stride = Attention.keyStride(for: n)
        var out = Tensor.uninitialized([8, 16, stride])
        x.data.withUnsafeBufferPointer { source in out.data.withUnsafeMutableBufferPointer { target in
            let (from, to) = (UncheckedPointer(UnsafeMutablePointer(mutating: source.baseAddress!)), UncheckedPointer(target.baseAddress!))
            for c in 0..<128 { for r in n..<stride { to.pointer[c * stride + r] = 0 } }
            let blocks = n / 8
            ParallelLoop.forRanges(count: blocks, minimumChunk: 32) { range in
                for block in range {
                    for c in Swift.stride(from: 0, to: 128, by: 8) {
                        RegisterTranspose.transpose8x8(from.pointer + block * 8 * 128 + c, 128, into: to.pointer + c * stride + block * 8, stride)
                    }
                }
            }
            for r in (blocks * 8)..<n { for c in 0..<128 { to.pointer[c * stride + r] = from.pointer[r * 128 + c] } }
        } }
        return out
    }

    /// [n, 8 * 16] -> [8, n, 16].
    static func headMajor(_ x: Tensor) -> Tensor {
        let n = x.shape[0]
        var out = Tensor.uninitialized([8, n, 16])
        x.data.withUnsafeBufferPointer { source in out.data.withUnsafeMutableBufferPointer { target in
            for r in 0..<n {
                for h in 0..<8 {
                    (target.baseAddress! + (h * n + r) * 16).update(from: source.baseAddress! + r * 128 + h * 16, count: 16)
                }
            }
        } }
        return out
    }
}
