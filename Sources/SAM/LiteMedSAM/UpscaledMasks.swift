import Foundation
import Parallelism
import Tensor

/// The decoder's last steps for prompts on a DecoderImageCache, tile by tile: the first upscaling step
/// (transposed conv, LayerNorm2d, GELU) from the cached basis and both low-rank updates (P1 W1 upscaleWeight and
/// P2 W2 diag(gamma2) U, with keys2's row statistics from secondImageUpdates), each tile's upscaled pixels going
/// straight through the last transposed conv and the hypernetwork products into the masks, so the
/// [128, 128, 64] upscaled image is never stored.
extension MaskDecoder {
    /// One prompt's constants: the right factors W1' U1 and W2' diag(gamma2) U packed, the row vectors, the
    /// hypernetwork vectors [count, 32].
    struct UpscalePlan {
        let right1: SmallGEMM.PackedB, right2: SmallGEMM.PackedB, vectors: Tensor, hyper: Tensor
        var count: Int { hyper.shape[0] }
    }

    /// Each prompt's masks ([256, 256] per hypernetwork vector in `hyper`), given its inputs to
    /// secondImageUpdates and keys2's statistics from it.
    func upscaledMasks(_ cache: DecoderImageCache, _ inputs: [SecondUpdateInput], statistics: [Tensor], hyper: [[[Float]]])
        -> [[Tensor]] {
        let side = 256, plans = zip(inputs, hyper).map { upscalePlan($0, hyper: $1) }
        func nest(_ i: Int, _ targets: [UncheckedPointer<Float>]) -> [[Tensor]] {
            guard i < plans.count else {
                upscaleTiles(cache, inputs, statistics, plans, targets)
                return []
            }
            var masks = Tensor.uninitialized([plans[i].count, side, side])
            let rest = masks.data.withUnsafeMutableBufferPointer { nest(i + 1, targets + [UncheckedPointer($0.baseAddress!)]) }
            let one = side * side
            return [(0..<plans[i].count).map { Tensor(shape: [side, side], data: Array(masks.data[($0 * one)..<(($0 + 1) * one)])) }] + rest
        }
        return nest(0, [])
    }

    func upscalePlan(_ input: SecondUpdateInput, hyper: [[Float]]) -> UpscalePlan {
        let right1 = Self.packed(Self.rightFactor(input.first.values, times: shared.upscaleWeight, keepW: false))  // [8(t - 1), 256]
        let inner1 = Self.rightFactor(input.first.constant, times: shared.upscaleWeight, keepW: false).data  // c1 U1
        let right2 = Self.packed(Self.rightFactor(input.second.values, times: shared.secondUpscale, keepW: false))
        let constant2 = Self.rightFactor(input.second.constant, times: shared.secondUpscale, keepW: false).data  // c2 U2
        // a | e | constant | conv bias | LayerNorm2d weight, bias | c1 U1
        let vectors = Tensor(shape: [1408], data: Array(shared.normSums[384...]) + shared.secondUpscaleSums
                             + zip(shared.upscaleConstant, constant2).map(+) + shared.upscaleBias
                             + upscaleNorm.weight.data + upscaleNorm.bias.data + inner1)
        return UpscalePlan(right1: right1, right2: right2, vectors: vectors,
                           hyper: Tensor(shape: [hyper.count, upscale2Bias.count], data: hyper.flatMap { $0 }))
    }

    /// The tile loop: for each tile (whole rows of the 64 x 64 grid), every prompt's products, upscaled pixels
    /// (into a tile buffer) and mask rows.
    func upscaleTiles(_ cache: DecoderImageCache, _ inputs: [SecondUpdateInput], _ statistics: [Tensor], _ plans: [UpscalePlan],
                      _ targets: [UncheckedPointer<Float>]) {
        let n = cache.image.shape[0], grid = 64, tileRows = Self.tileRows, tiles = (n + tileRows - 1) / tileRows
        precondition(n == grid * grid && tileRows % grid == 0 && upscale1Bias.count == 64)
        let (pixelEpsilon, maskSide, channels) = (upscaleNorm.epsilon, 4 * grid, upscale2Bias.count)
        let perPrompt = (0..<plans.count).flatMap { i in
            [inputs[i].image1.statistics, statistics[i], inputs[i].first.weights, inputs[i].second.weights, plans[i].vectors, plans[i].hyper]
        }
        withPointers([cache.upscaleBasis, upscale2Bias] + perPrompt) { p in
            ParallelLoop.forRanges(count: tiles) { range in
                let (basis, convBias2) = (p[0].pointer, p[1].pointer)
                // The tile's products [rows, 512], one row's conv taps, the tile's upscaled rows, one conv row.
                let upscaledRows = 2 * tileRows / grid, upscaledWidth = 2 * grid
                let buffer = UnsafeMutablePointer<Float>.allocate(
                    capacity: tileRows * 512 + 256 + upscaledRows * upscaledWidth * 64 + 2 * upscaledWidth * channels)
                defer { buffer.deallocate() }
                let (conv, upscaled) = (buffer + tileRows * 512, buffer + tileRows * 512 + 256)
                let convRow = upscaled + upscaledRows * upscaledWidth * 64
                for tile in range {
                    let rows = (tile * tileRows)..<min(n, (tile + 1) * tileRows), firstGridRow = rows.lowerBound / grid
                    for (index, plan) in plans.enumerated() {
                        let q = 2 + 6 * index
                        let (st1, st2, v) = (p[q].pointer, p[q + 1].pointer, p[q + 4].pointer)
                        let (a, e, constant, convBias) = (v, v + 256, v + 512, v + 768)
                        let (pixelWeight, pixelBias, innerConstant) = (v + 1024, v + 1088, v + 1152)
                        let (stride1, stride2) = (inputs[index].first.stride, inputs[index].second.stride)
                        SmallGEMM.multiply(p[q + 3].pointer + rows.lowerBound * stride2, lda: stride2, plan.right2, into: buffer,
                                           ldc: 512, m: rows.count, accumulate: false)
                        SmallGEMM.multiply(p[q + 2].pointer + rows.lowerBound * stride1, lda: stride1, plan.right1, into: buffer + 256,
                                           ldc: 512, m: rows.count, accumulate: false)
                        for r in rows {
                            let u = buffer + (r - rows.lowerBound) * 512
                            let (m1, s1) = (V8(repeating: st1[2 * r]), V8(repeating: st1[2 * r + 1]))
                            let (m, s) = (V8(repeating: st2[2 * r]), V8(repeating: st2[2 * r + 1]))
                            for j in stride(from: 0, to: 256, by: 8) {
                                let inner = (load8(basis + r * 256 + j) + load8(u + 256 + j) + load8(innerConstant + j)
                                             - m1 * load8(a + j)) * s1
                                let outer = inner + load8(constant + j) + load8(u + j) - m * load8(e + j)
                                store8(outer * s + load8(convBias + j), conv + j)
                            }
                            // conv holds the 2x2 upscaled pixels (ky, kx) of grid pixel r, 64 channels each.
                            let (y, x) = (r / grid - firstGridRow, r % grid)
                            for tap in 0..<4 {
                                let target = upscaled + ((2 * y + tap / 2) * upscaledWidth + 2 * x + tap % 2) * 64
                                Self.normalize64(conv + tap * 64, into: target, pixelWeight, pixelBias, epsilon: pixelEpsilon)
                                Elementwise.geluRange(target, 0..<64)
                            }
                        }
                        for row in 0..<(2 * rows.count / grid) {
                            maskRows(fromUpscaled: upscaled + row * upscaledWidth * 64, row: 2 * firstGridRow + row, width: upscaledWidth,
                                     bias: convBias2, hyper: p[q + 5].pointer, count: plan.count, scratch: convRow,
                                     into: targets[index].pointer, side: maskSide)
                        }
                    }
                }
            }
        }
    }
}
