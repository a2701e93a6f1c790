import Foundation
import Volume

/// Exact Euclidean distance transform with anisotropic spacing (Felzenszwalb & Huttenlocher's separable lower
/// envelope of parabolas, linear time per line), over a box; lines run in parallel.
public enum DistanceTransform {
    /// Squared distance (in spacing units) from every voxel of a grid of `size` to the nearest site; +inf when there
    /// are no sites. `sites` are linear indices (axis 0 fastest).
    public static func squaredDistances(size: [Int], spacing: [Double], sites: [Int]) -> [Double] {
        let count = size.reduce(1, *)
        var field = [Double](repeating: .infinity, count: count)
        for s in sites { field[s] = 0 }
        let strides = [1, size[0], size[0] * size[1]]
        for axis in 0..<3 where size[axis] > 1 {
            let others = (0..<3).filter { $0 != axis }
            let lines = size[others[0]] * size[others[1]]
            let n = size[axis], stride = strides[axis]
            let w2 = spacing[axis] * spacing[axis]
            field.withUnsafeMutableBufferPointer { buffer in
                let data = UncheckedBox(buffer.baseAddress!)
                Parallel.forRanges(count: lines, minimumChunk: max(1, 4096 / max(1, n))) { range in
                    var f = [Double](repeating: 0, count: n)
                    var d = [Double](repeating: 0, count: n)
                    var v = [Int](repeating: 0, count: n)
                    var z = [Double](repeating: 0, count: n + 1)
                    for line in range {
                        let a = line % size[others[0]], b = line / size[others[0]]
                        let start = a * strides[others[0]] + b * strides[others[1]]
                        for p in 0..<n { f[p] = data.value[start + p * stride] }
                        envelope(f, &d, &v, &z, n: n, w2: w2)
                        for p in 0..<n { data.value[start + p * stride] = d[p] }
                    }
                }
            }
        }
        return field
    }

    /// One line: d[p] = min_q (w2 (p - q)^2 + f[q]).
    @inline(__always)
    static func envelope(_ f: [Double], _ d: inout [Double], _ v: inout [Int], _ z: inout [Double], n: Int, w2: Double) {
        var k = -1
        for q in 0..<n where f[q].isFinite {
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
        if k < 0 {
            for p in 0..<n { d[p] = .infinity }
            return
        }
        var j = 0
        for p in 0..<n {
            while z[j + 1] < Double(p) { j += 1 }
            let delta = Double(p - v[j])
            d[p] = w2 * delta * delta + f[v[j]]
        }
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
