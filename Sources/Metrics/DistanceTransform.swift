import Foundation
import Parallelism
import Volume

/// Exact Euclidean distance transform with anisotropic spacing (Felzenszwalb & Huttenlocher's separable lower
/// envelope of parabolas, linear time per line), over a box; lines run in parallel.
public enum DistanceTransform {
    /// Squared distance (in spacing units) from every voxel of a grid of `size` to the nearest site; +inf when there
    /// are no sites. `sites` are linear indices (axis 0 fastest).
    public static func squaredDistances(size: [Int], spacing: [Double], sites: [Int]) -> [Double] {
        var field = [Double](repeating: .infinity, count: size.reduce(1, *))
        for s in sites { field[s] = 0 }
        passes(&field, size: size, spacing: spacing, axes: (0..<3).filter { size[$0] > 1 })
        return field
    }

    /// The separable passes along `axes` (in order), in place; the first is the binary two-sweep.
    static func passes(_ field: inout [Double], size: [Int], spacing: [Double], axes: [Int]) {
        let strides = [1, size[0], size[0] * size[1]]
        for (order, axis) in axes.enumerated() {
            let others = (0..<3).filter { $0 != axis }
            let lines = size[others[0]] * size[others[1]]
            let n = size[axis], stride = strides[axis]
            let (count0, stride0, stride1) = (size[others[0]], strides[others[0]], strides[others[1]])
            let w2 = spacing[axis] * spacing[axis]
            let firstPass = order == 0
            field.withUnsafeMutableBufferPointer { buffer in
                let data = UncheckedBox(buffer.baseAddress!)
                ParallelLoop.forRanges(count: lines, minimumChunk: max(1, 8192 / max(1, n))) { range in
                    let f = UnsafeMutablePointer<Double>.allocate(capacity: n)
                    let v = UnsafeMutablePointer<Int>.allocate(capacity: n)
                    let z = UnsafeMutablePointer<Double>.allocate(capacity: n + 1)
                    defer { f.deallocate(); v.deallocate(); z.deallocate() }
                    for line in range {
                        let start = (line % count0) * stride0 + (line / count0) * stride1
                        let p = data.value + start
                        if firstPass {
                            binaryLine(p, stride: stride, n: n, w2: w2)
                        } else {
                            var any = false
                            for q in 0..<n {
                                f[q] = p[q * stride]
                                if f[q] < .infinity { any = true }
                            }
                            if any { envelope(f, v, z, out: p, stride: stride, n: n, w2: w2) }
                        }
                    }
                }
            }
        }
    }

    /// First pass on a line of 0 (site) / inf: squared distance to the nearest site along the line, two sweeps.
    @inline(__always)
    static func binaryLine(_ p: UnsafeMutablePointer<Double>, stride: Int, n: Int, w2: Double) {
        var last = -1
        for q in 0..<n {
            if p[q * stride] == 0 { last = q } else if last >= 0 { let d = Double(q - last); p[q * stride] = w2 * d * d }
        }
        last = -1
        for q in Swift.stride(from: n - 1, through: 0, by: -1) {
            if p[q * stride] == 0 { last = q } else if last >= 0 {
                let d = Double(last - q)
                p[q * stride] = min(p[q * stride], w2 * d * d)
            }
        }
    }

    /// One line: out[p] = min_q (w2 (p - q)^2 + f[q]) by the lower envelope of parabolas.
    @inline(__always)
    static func envelope(_ f: UnsafeMutablePointer<Double>, _ v: UnsafeMutablePointer<Int>, _ z: UnsafeMutablePointer<Double>,
                         out: UnsafeMutablePointer<Double>, stride: Int, n: Int, w2: Double) {
        buildEnvelope(f, v, z, n: n, w2: w2)
        var j = 0
        for p in 0..<n {
            while z[j + 1] < Double(p) { j += 1 }
            let delta = Double(p - v[j])
            out[p * stride] = w2 * delta * delta + f[v[j]]
        }
    }

    /// The lower envelope of the parabolas w2 (p - q)^2 + f[q] over the finite f[q]: their apexes v and the
    /// boundaries z between them (at least one finite value required).
    @inline(__always)
    static func buildEnvelope(_ f: UnsafeMutablePointer<Double>, _ v: UnsafeMutablePointer<Int>,
                              _ z: UnsafeMutablePointer<Double>, n: Int, w2: Double) {
        var k = -1
        for q in 0..<n where f[q] < .infinity {
            let fq = f[q] + w2 * Double(q * q)
            var s = -Double.infinity
            while k >= 0 {
                let r = v[k]
                s = (fq - (f[r] + w2 * Double(r * r))) / (2 * w2 * Double(q - r))
                if s <= z[k] { k -= 1 } else { break }
            }
            k += 1
            v[k] = q
            z[k] = k == 0 ? -.infinity : s
            z[k + 1] = .infinity
        }
    }

    /// Squared distances at `queries` only (linear indices): the last axis pass builds envelopes just for the lines
    /// holding queries and evaluates them just there. Same values as squaredDistances(...)[query].
    public static func squaredDistances(size: [Int], spacing: [Double], sites: [Int], at queries: [Int]) -> [Double] {
        guard let last = (0..<3).last(where: { size[$0] > 1 }), last > 0, !sites.isEmpty else {
            let field = squaredDistances(size: size, spacing: spacing, sites: sites)
            return queries.map { field[$0] }
        }
        var reduced = size
        reduced[last] = 1
        let strides = [1, size[0], size[0] * size[1]]
        // Passes over the axes before `last` on the full field, then `last` only where needed.
        var field = [Double](repeating: .infinity, count: size.reduce(1, *))
        for s in sites { field[s] = 0 }
        passes(&field, size: size, spacing: spacing, axes: (0..<last).filter { size[$0] > 1 })
        let n = size[last], stride = strides[last]
        // Bucket the queries by line (the index with the last axis' coordinate removed).
        let lineCount = reduced.reduce(1, *)
        var starts = [Int](repeating: 0, count: lineCount + 1)
        func lineOf(_ q: Int) -> Int { q % stride + (q / (stride * n)) * stride }
        for q in queries { starts[lineOf(q) + 1] += 1 }
        for l in 0..<lineCount { starts[l + 1] += starts[l] }
        var order = [Int](repeating: 0, count: queries.count)
        var fill = starts
        for (index, q) in queries.enumerated() {
            order[fill[lineOf(q)]] = index
            fill[lineOf(q)] += 1
        }
        var result = [Double](repeating: .infinity, count: queries.count)
        let w2 = spacing[last] * spacing[last]
        field.withUnsafeBufferPointer { buffer in result.withUnsafeMutableBufferPointer { out in
            let data = UncheckedBox(buffer.baseAddress!), target = UncheckedBox(out.baseAddress!)
            let (starts, order, queries) = (starts, order, queries)
            ParallelLoop.forRanges(count: lineCount, minimumChunk: max(1, 8192 / max(1, n))) { range in
                let f = UnsafeMutablePointer<Double>.allocate(capacity: n)
                let v = UnsafeMutablePointer<Int>.allocate(capacity: n)
                let z = UnsafeMutablePointer<Double>.allocate(capacity: n + 1)
                defer { f.deallocate(); v.deallocate(); z.deallocate() }
                for line in range where starts[line + 1] > starts[line] {
                    let base = data.value + (line % stride) + (line / stride) * stride * n
                    var any = false
                    for q in 0..<n {
                        f[q] = base[q * stride]
                        if f[q] < .infinity { any = true }
                    }
                    guard any else { continue }
                    buildEnvelope(f, v, z, n: n, w2: w2)
                    for slot in starts[line]..<starts[line + 1] {
                        let index = order[slot]
                        let p = (queries[index] / stride) % n
                        var j = 0
                        while z[j + 1] < Double(p) { j += 1 }
                        let delta = Double(p - v[j])
                        target.value[index] = w2 * delta * delta + f[v[j]]
                    }
                }
            }
        } }
        return result
    }

    /// Brute force: for every voxel, the minimum over all sites (tests only; O(voxels x sites)).
    public static func bruteForceSquaredDistances(size: [Int], spacing: [Double], sites: [Int]) -> [Double] {
        let coordinates = sites.map { s in [s % size[0], (s / size[0]) % size[1], s / (size[0] * size[1])] }
        return (0..<size.reduce(1, *)).map { p in
            let c = [p % size[0], (p / size[0]) % size[1], p / (size[0] * size[1])]
            var best = Double.infinity
            for site in coordinates {
                var sum = 0.0
                for a in 0..<3 {
                    let delta = Double(c[a] - site[a]) * spacing[a]
                    sum += delta * delta
                }
                best = min(best, sum)
            }
            return best
        }
    }
}
