import Foundation
import Testing
@testable import Tensor

@Suite struct AttentionParityTests {
    /// TinyViT's packing: per token, per head [q(kd) | k(kd) | v(d)]; output per token [head0 d | head1 d ...].
    static let cases: [[Int]] = [[3, 2, 49, 8, 8, 1], [2, 5, 13, 16, 16, 0], [1, 8, 7, 16, 16, 0]]

    @Test(arguments: cases)
    func packedMultiHeadAttentionMatchesNaive(setting: [Int]) {
        let (groups, heads, tokens, kd, d, withBias) = (setting[0], setting[1], setting[2], setting[3], setting[4], setting[5] == 1)
        var g = KernelParityTests.Generator(state: UInt64(groups * 100 + heads))
        let per = 2 * kd + d
        let qkv = (0..<(groups * tokens * heads * per)).map { _ in Float.random(in: -1...1, using: &g) }
        let bias = withBias ? (0..<(heads * tokens * tokens)).map { _ in Float.random(in: -1...1, using: &g) } : nil
        var out = [Float](repeating: 0, count: groups * tokens * heads * d)
        let scale = 1 / Float(kd).squareRoot()
        let row = heads * per
        let layout = Attention.Layout(groupStride: tokens * row, headOffset: per, rowStride: row)
        let outLayout = Attention.Layout(groupStride: tokens * heads * d, headOffset: d, rowStride: heads * d)
        let biasValues = bias ?? []
        qkv.withUnsafeBufferPointer { p in out.withUnsafeMutableBufferPointer { o in biasValues.withUnsafeBufferPointer { b in
            let base = p.baseAddress!
            Attention.forward(q: base, qLayout: layout, k: base + kd, kLayout: layout, v: base + 2 * kd, vLayout: layout,
                              out: o.baseAddress!, outLayout: outLayout, groups: groups, heads: heads, lq: tokens,
                              lk: tokens, keyDim: kd, valueDim: d, scale: scale, bias: bias == nil ? nil : b.baseAddress)
        } } }
        for group in 0..<groups {
            for h in 0..<heads {
                func slice(_ offset: Int, _ width: Int) -> [Float] {
                    (0..<tokens).flatMap { t in (0..<width).map { qkv[(group * tokens + t) * row + h * per + offset + $0] } }
                }
                let expected = NaiveKernels.attention(q: slice(0, kd), k: slice(kd, kd), v: slice(2 * kd, d), lq: tokens,
                                                      lk: tokens, d: kd, dv: d, scale: scale,
                                                      bias: bias.map { Array($0[(h * tokens * tokens)..<((h + 1) * tokens * tokens)]) })
                for t in 0..<tokens {
                    for c in 0..<d {
                        let got = out[(group * tokens + t) * heads * d + h * d + c]
                        #expect(abs(got - expected[t * d + c]) < 1e-5)
                    }
                }
            }
        }
    }

    /// A subset of the query rows (TinyViT's image tokens in a padded window) gives those rows of the full
    /// attention, in list order, bias rows following their queries; one pair of 200 rows also splits its rows over
    /// the threads (groups, heads, tokens, key dim, value dim, every n-th row left out).
    @Test(arguments: [[1, 1, 200, 16, 16, 3], [2, 3, 49, 8, 8, 7], [3, 2, 13, 16, 16, 2]])
    func queryRowSubsetGivesThoseRowsOfTheFullAttention(setting: [Int]) {
        let (groups, heads, tokens, kd, d, gap) = (setting[0], setting[1], setting[2], setting[3], setting[4], setting[5])
        var g = KernelParityTests.Generator(state: UInt64(tokens * 10 + gap))
        let per = 2 * kd + d, row = heads * per
        let qkv = (0..<(groups * tokens * row)).map { _ in Float.random(in: -1...1, using: &g) }
        let bias = (0..<(heads * tokens * tokens)).map { _ in Float.random(in: -1...1, using: &g) }
        let rows = (0..<tokens).filter { $0 % gap != gap - 1 }.map { Int32($0) }
        let layout = Attention.Layout(groupStride: tokens * row, headOffset: per, rowStride: row)
        func attend(_ subset: [Int32]?) -> [Float] {
            let outputs = subset?.count ?? tokens
            var out = [Float](repeating: 0, count: groups * outputs * heads * d)
            let outLayout = Attention.Layout(groupStride: outputs * heads * d, headOffset: d, rowStride: heads * d)
            qkv.withUnsafeBufferPointer { p in out.withUnsafeMutableBufferPointer { o in bias.withUnsafeBufferPointer { b in
                (subset ?? []).withUnsafeBufferPointer { r in
                    let base = p.baseAddress!
                    AttentionKernel<SIMD8<Float>>.forward(
                        q: base, qLayout: layout, k: base + kd, kLayout: layout, v: base + 2 * kd, vLayout: layout,
                        out: o.baseAddress!, outLayout: outLayout, groups: groups, heads: heads, lq: tokens, lk: tokens,
                        keyDim: kd, valueDim: d, scale: 0.25, bias: b.baseAddress, queryRows: subset == nil ? nil : r)
                }
            } } }
            return out
        }
        let full = attend(nil), subset = attend(rows)
        var worst: Float = 0
        for group in 0..<groups {
            for (r, source) in rows.enumerated() {
                for c in 0..<(heads * d) {
                    let expected = full[(group * tokens + Int(source)) * heads * d + c]
                    worst = max(worst, abs(subset[(group * rows.count + r) * heads * d + c] - expected))
                }
            }
        }
        #expect(worst < 1e-6, "worst difference \(worst)")
    }

    /// Queries and keys of different lengths and head sizes that are not multiples of the register blocks
    /// (groups, heads, lq, lk, key dim, value dim, bias), one matrix per operand with heads side by side.
    @Test(arguments: [[2, 3, 37, 11, 12, 20, 1], [1, 8, 200, 7, 16, 16, 0], [1, 2, 5, 300, 16, 32, 1], [1, 1, 130, 9, 3, 5, 0], [1, 8, 7, 4096, 16, 16, 0]])
    func crossAttentionMatchesNaive(setting: [Int]) {
        let (groups, heads, lq, lk, kd, d) = (setting[0], setting[1], setting[2], setting[3], setting[4], setting[5])
        var g = KernelParityTests.Generator(state: UInt64(lq * 1000 + lk))
        func random(_ count: Int) -> [Float] { (0..<count).map { _ in Float.random(in: -2...2, using: &g) } }
        let q = random(groups * lq * heads * kd), k = random(groups * lk * heads * kd), v = random(groups * lk * heads * d)
        let bias = setting[6] == 1 ? random(heads * lq * lk) : nil
        var out = [Float](repeating: .nan, count: groups * lq * heads * d)
        let scale = 1 / Float(kd).squareRoot()
        let biasValues = bias ?? []
        q.withUnsafeBufferPointer { qp in k.withUnsafeBufferPointer { kp in v.withUnsafeBufferPointer { vp in
            out.withUnsafeMutableBufferPointer { o in biasValues.withUnsafeBufferPointer { b in
                Attention.forward(q: qp.baseAddress!, qLayout: .init(groupStride: lq * heads * kd, headOffset: kd, rowStride: heads * kd),
                                  k: kp.baseAddress!, kLayout: .init(groupStride: lk * heads * kd, headOffset: kd, rowStride: heads * kd),
                                  v: vp.baseAddress!, vLayout: .init(groupStride: lk * heads * d, headOffset: d, rowStride: heads * d),
                                  out: o.baseAddress!, outLayout: .init(groupStride: lq * heads * d, headOffset: d, rowStride: heads * d),
                                  groups: groups, heads: heads, lq: lq, lk: lk, keyDim: kd, valueDim: d, scale: scale,
                                  bias: bias == nil ? nil : b.baseAddress)
            } }
        } } }
        for group in 0..<groups {
            for h in 0..<heads {
                func slice(_ x: [Float], _ rows: Int, _ width: Int) -> [Float] {
                    (0..<rows).flatMap { t in (0..<width).map { x[((group * rows + t) * heads + h) * width + $0] } }
                }
                let expected = NaiveKernels.attention(q: slice(q, lq, kd), k: slice(k, lk, kd), v: slice(v, lk, d), lq: lq,
                                                      lk: lk, d: kd, dv: d, scale: scale,
                                                      bias: bias.map { Array($0[(h * lq * lk)..<((h + 1) * lq * lk)]) })
                for t in 0..<lq {
                    for c in 0..<d {
                        let got = out[((group * lq + t) * heads + h) * d + c]
                        #expect(abs(got - expected[t * d + c]) < 1e-5 * max(1, abs(expected[t * d + c])))
                    }
                }
            }
        }
    }

    /// Keys and values stored as the kernels read them (SAM's cached image: K transposed per head with padded
    /// rows, V head-major), against the naive attention; padding columns hold junk that must not matter.
    @Test(arguments: [[8, 7, 4096, 16, 16], [2, 5, 300, 12, 32], [3, 1, 13, 8, 16]])
    func cachedLayoutAttentionMatchesNaive(setting: [Int]) {
        let (heads, lq, lk, kd, d) = (setting[0], setting[1], setting[2], setting[3], setting[4])
        var g = KernelParityTests.Generator(state: UInt64(lq * 77 + lk))
        func random(_ count: Int) -> [Float] { (0..<count).map { _ in Float.random(in: -2...2, using: &g) } }
        let q = random(lq * heads * kd), stride = Attention.keyStride(for: lk)
        let kT = random(heads * kd * stride)  // [heads, kd, stride]; columns past lk stay random
        let v = random(heads * lk * d)  // [heads, lk, d]
        let kRows = (0..<heads).map { h in (0..<lk).flatMap { j in (0..<kd).map { kT[(h * kd + $0) * stride + j] } } }
        var out = [Float](repeating: .nan, count: lq * heads * d)
        let scale = 1 / Float(kd).squareRoot()
        q.withUnsafeBufferPointer { qp in kT.withUnsafeBufferPointer { kp in v.withUnsafeBufferPointer { vp in
            out.withUnsafeMutableBufferPointer { o in
                Attention.forward(q: qp.baseAddress!, qLayout: .init(groupStride: 0, headOffset: kd, rowStride: heads * kd),
                                  kT: kp.baseAddress!, kTHeadOffset: kd * stride, v: vp.baseAddress!, vHeadOffset: lk * d,
                                  out: o.baseAddress!, outLayout: .init(groupStride: 0, headOffset: d, rowStride: heads * d),
                                  heads: heads, lq: lq, lk: lk, keyDim: kd, valueDim: d, scale: scale)
            }
        } } }
        var worst: Float = 0
        for h in 0..<heads {
            let queries = (0..<lq).flatMap { t in (0..<kd).map { q[(t * heads + h) * kd + $0] } }
            let values = Array(v[(h * lk * d)..<((h + 1) * lk * d)])
            let expected = NaiveKernels.attention(q: queries, k: kRows[h], v: values, lq: lq, lk: lk, d: kd, dv: d,
                                                  scale: scale, bias: nil)
            for t in 0..<lq {
                for c in 0..<d { worst = max(worst, abs(out[(t * heads + h) * d + c] - expected[t * d + c])) }
            }
        }
        #expect(worst < 1e-5)
    }
}

extension AttentionParityTests {
    /// Head-lane weights against naive attention per (row, head) with identity values (its output is the weights);
    /// with `extra` scores added when `extraStride` is not 0 (as an additive bias in the naive attention).
    @Test(arguments: [(600, 16, 7, 0), (513, 16, 1, 0), (37, 8, 12, 0), (300, 16, 7, 61), (41, 16, 8, 64)])
    func headLaneWeightsMatchNaive(rows: Int, headDim: Int, tokens: Int, extraStride: Int) {
        var g = KernelParityTests.Generator(state: UInt64(rows * 7 + tokens))
        let queries = (0..<(rows * headDim * 8)).map { _ in Float.random(in: -3...3, using: &g) }
        let keys = (0..<(tokens * headDim * 8)).map { _ in Float.random(in: -3...3, using: &g) }
        let extra = (0..<(rows * extraStride)).map { _ in Float.random(in: -4...4, using: &g) }
        var weights = [Float](repeating: .nan, count: rows * tokens * 8)
        queries.withUnsafeBufferPointer { q in keys.withUnsafeBufferPointer { k in weights.withUnsafeMutableBufferPointer { w in
            extra.withUnsafeBufferPointer { e in
                HeadLaneAttention.weights(queries: q.baseAddress!, keys: k.baseAddress!, rows: rows, headDim: headDim, tokens: tokens,
                                          extra: extraStride == 0 ? nil : e.baseAddress!, extraStride: extraStride, into: w.baseAddress!)
            }
        } } }
        let identity = (0..<(tokens * tokens)).map { $0 / tokens == $0 % tokens ? Float(1) : 0 }
        var worst: Float = 0
        for r in 0..<rows { for h in 0..<8 {
            let q = (0..<headDim).map { queries[(r * headDim + $0) * 8 + h] }
            let k = (0..<tokens).flatMap { j in (0..<headDim).map { keys[(j * headDim + $0) * 8 + h] } }
            let bias = extraStride == 0 ? nil : (0..<tokens).map { extra[r * extraStride + 8 * $0 + h] }
            let expected = NaiveKernels.attention(q: q, k: k, v: identity, lq: 1, lk: tokens, d: headDim, dv: tokens, scale: 1,
                                                  bias: bias)
            for j in 0..<tokens { worst = max(worst, abs(weights[(r * tokens + j) * 8 + h] - expected[j])) }
        } }
        #expect(worst < 5e-6)  // float scores up to ~50 in magnitude: a few ulps of them, through exp
    }
}

extension AttentionParityTests {
    /// Block partial states merged against naive attention per (token, head) over all rows.
    /// With `extra` scores [rows, t, 8] added (as an additive bias in the naive attention) when `withExtra`.
    @Test(arguments: [(300, 128, 7, false), (97, 40, 1, false), (64, 64, 3, false), (300, 128, 7, true), (50, 16, 8, true)])
    func headLaneBlockAttentionMatchesNaive(rows: Int, block: Int, tokens: Int, withExtra: Bool) {
        let headDim = 16, stride = 8 * headDim + 8  // padded rows, as a caller's tile buffer
        var g = KernelParityTests.Generator(state: UInt64(rows + block))
        let queries = (0..<(tokens * headDim * 8)).map { _ in Float.random(in: -1...1, using: &g) }
        let keys = (0..<(rows * stride)).map { _ in Float.random(in: -2...2, using: &g) }
        let values = (0..<(rows * stride)).map { _ in Float.random(in: -1...1, using: &g) }
        let extraStride = withExtra ? 8 * tokens + 8 : 0  // padded, as a caller's tile buffer
        let extra = (0..<(rows * extraStride)).map { _ in Float.random(in: -3...3, using: &g) }
        let blocks = (rows + block - 1) / block, size = HeadLaneAttention.stateSize(headDim: headDim)
        var states = [Float](repeating: .nan, count: blocks * tokens * size), scores = [Float](repeating: 0, count: 8 * block)
        var out = [Float](repeating: .nan, count: tokens * 8 * headDim)
        queries.withUnsafeBufferPointer { q in keys.withUnsafeBufferPointer { k in values.withUnsafeBufferPointer { v in
          extra.withUnsafeBufferPointer { e in
            for b in 0..<blocks {
                let first = b * block, count = min(block, rows - first)
                states.withUnsafeMutableBufferPointer { s in scores.withUnsafeMutableBufferPointer { scratch in
                    HeadLaneAttention.partial(queries: q.baseAddress!, keys: k.baseAddress! + first * stride,
                                              values: v.baseAddress! + first * stride, rowStride: stride, rows: count,
                                              headDim: headDim, tokens: tokens,
                                              extra: withExtra ? e.baseAddress! + first * extraStride : nil, extraStride: extraStride,
                                              scores: scratch.baseAddress!, into: s.baseAddress! + b * tokens * size)
                } }
            }
          }
        } } }
        states.withUnsafeBufferPointer { s in out.withUnsafeMutableBufferPointer { o in
            HeadLaneAttention.merge(s.baseAddress!, blocks: blocks, headDim: headDim, tokens: tokens, into: o.baseAddress!)
        } }
        var worst: Float = 0
        for j in 0..<tokens { for h in 0..<8 {
            let q = (0..<headDim).map { queries[(j * headDim + $0) * 8 + h] }
            let k = (0..<rows).flatMap { r in (0..<headDim).map { keys[r * stride + $0 * 8 + h] } }
            let v = (0..<rows).flatMap { r in (0..<headDim).map { values[r * stride + $0 * 8 + h] } }
            let bias = withExtra ? (0..<rows).map { extra[$0 * extraStride + 8 * j + h] } : nil
            let expected = NaiveKernels.attention(q: q, k: k, v: v, lq: 1, lk: rows, d: headDim, dv: headDim, scale: 1, bias: bias)
            for d in 0..<headDim { worst = max(worst, abs(out[j * 8 * headDim + h * headDim + d] - expected[d])) }
        } }
        #expect(worst < 1e-5)
    }
}
