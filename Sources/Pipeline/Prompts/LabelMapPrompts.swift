import Foundation
import Tensor
import Metrics
import Volume

/// Derives prompts from a reference label map (in the canonical layout) with a `PromptStrategy`, seeded.
public struct LabelMapPrompts {
    let voxels: [Float]
    let width: Int, height: Int, sliceCount: Int
    /// In-plane spacing (mm) along x (axis 0) and y (axis 1), for `furthest`.
    let spacing: (x: Double, y: Double)
    let census: SliceCensus

    /// `labels` = nil: every label present. A requested label absent from the map is an error.
    public init(labelMap: CanonicalVolume, labels: [Int]?) throws {
        voxels = labelMap.voxels
        width = labelMap.width
        height = labelMap.height
        sliceCount = labelMap.sliceCount
        spacing = (labelMap.spacing.x, labelMap.spacing.y)
        census = try SliceCensus(voxels: labelMap.voxels, width: width, height: height, sliceCount: sliceCount, labels: labels)
        if let labels {
            let missing = labels.filter { census.range(of: $0) == nil }
            if !missing.isEmpty {
                let present = (try? SliceCensus(voxels: voxels, width: width, height: height, sliceCount: sliceCount,
                                                labels: nil).presentLabels) ?? []
                throw PromptError("label\(missing.count > 1 ? "s" : "") \(missing.map(String.init).joined(separator: ", ")) "
                                  + "not in the label map (present: \(present.isEmpty ? "none" : present.map(String.init).joined(separator: ", ")))")
            }
        }
        if census.presentLabels.isEmpty { throw PromptError("the label map is empty (no non-zero voxel)") }
    }

    /// The labels prompts are derived for.
    public var labels: [Int] { census.presentLabels }

    /// Prompts for every label with `strategy`; `seed` drives the random strategies.
    public func prompts(strategy: PromptStrategy, seed: UInt64 = 0, names: [Int: String] = [:]) -> [LabelPrompts] {
        labels.map { label in
            var result = LabelPrompts(label: label, name: names[label])
            let range = census.range(of: label)!
            let perSlice = census.slices[label]!
            let key = PropagationPrompt.keySlice(of: range)
            let keyBox = perSlice[key]?.box ?? census.extent(of: label)!
            switch strategy {
            case .box:
                result.propagations = [PropagationPrompt(keySlice: key, box: keyBox, slices: range)]
            case .box3d:
                result.propagations = [PropagationPrompt(keySlice: key, box: census.extent(of: label)!, slices: range)]
            case .boxJitter(let fraction):
                var random = SeededRandom(seed: seed, label: label, slice: key)
                result.propagations = [PropagationPrompt(keySlice: key, box: jitter(keyBox, fraction, &random), slices: range)]
            case .sliceBoxes:
                for (k, b) in perSlice { result.add(box: b.box, slice: k) }
            case .center, .furthest, .points, .quadrants:
                for (k, b) in perSlice {
                    var random = SeededRandom(seed: seed, label: label, slice: k)
                    for p in points(strategy, label: label, slice: k, box: b, random: &random) { result.add(point: p, slice: k) }
                }
            }
            return result
        }
    }

    /// Each side moved by a uniform offset in [-F, F] x the box's size (in pixels), rounded, kept in the image.
    func jitter(_ box: PromptBox, _ fraction: Double, _ random: inout SeededRandom) -> PromptBox {
        let w = box.x1 - box.x0 + 1, h = box.y1 - box.y0 + 1
        func moved(_ v: Double, _ size: Double, _ limit: Int) -> Double {
            min(max((v + (2 * random.uniform() - 1) * fraction * size).rounded(), 0), Double(limit - 1))
        }
        let x0 = moved(box.x0, w, width), y0 = moved(box.y0, h, height)
        let x1 = moved(box.x1, w, width), y1 = moved(box.y1, h, height)
        return PromptBox(x0: min(x0, x1), y0: min(y0, y1), x1: max(x0, x1), y1: max(y0, y1))
    }

    /// Foreground pixels (x, y) of a label on a slice, row-major.
    func foreground(label: Int, slice k: Int, box b: SliceCensus.SliceBox) -> [(x: Int, y: Int)] {
        var found: [(Int, Int)] = []
        found.reserveCapacity(b.count)
        let base = k * width * height, value = Float(label)
        for y in b.y0...b.y1 { for x in b.x0...b.x1 where voxels[base + y * width + x] == value { found.append((x, y)) } }
        return found
    }

    func points(_ strategy: PromptStrategy, label: Int, slice k: Int, box b: SliceCensus.SliceBox,
                random: inout SeededRandom) -> [PromptPoint] {
        let fg = foreground(label: label, slice: k, box: b)
        switch strategy {
        case .center:
            let cx = Double(fg.reduce(0) { $0 + $1.x }) / Double(fg.count)
            let cy = Double(fg.reduce(0) { $0 + $1.y }) / Double(fg.count)
            return [PromptPoint(x: cx.rounded(), y: cy.rounded())]
        case .furthest:
            return [furthest(label: label, slice: k, box: b)]
        case .points(let n, let m):
            var chosen = sample(fg, n, &random).map { PromptPoint(x: Double($0.x), y: Double($0.y)) }
            if m > 0 {
                let base = k * width * height, value = Float(label)
                let background = (0..<(width * height)).filter { voxels[base + $0] != value }
                chosen += sample(background, m, &random).map {
                    PromptPoint(x: Double($0 % width), y: Double($0 / width), positive: false)
                }
            }
            return chosen
        case .quadrants:
            let cx = Double(b.x0 + b.x1) / 2, cy = Double(b.y0 + b.y1) / 2
            var quadrants: [[(x: Int, y: Int)]] = [[], [], [], []]
            for p in fg { quadrants[(Double(p.y) < cy ? 0 : 2) + (Double(p.x) < cx ? 0 : 1)].append(p) }
            return quadrants.filter { !$0.isEmpty }.map { q in
                let mx = Double(q.reduce(0) { $0 + $1.x }) / Double(q.count)
                let my = Double(q.reduce(0) { $0 + $1.y }) / Double(q.count)
                var best = q[0], bestD = Double.infinity
                for p in q {
                    let d = (Double(p.x) - mx) * (Double(p.x) - mx) + (Double(p.y) - my) * (Double(p.y) - my)
                    if d < bestD { (best, bestD) = (p, d) }
                }
                return PromptPoint(x: Double(best.x), y: Double(best.y))
            }
        default:
            return []
        }
    }

    /// `count` distinct elements (all when fewer), by a partial Fisher-Yates shuffle.
    func sample<T>(_ items: [T], _ count: Int, _ random: inout SeededRandom) -> [T] {
        var pool = items
        let take = min(count, pool.count)
        for i in 0..<take { pool.swapAt(i, i + random.below(pool.count - i)) }
        return Array(pool.prefix(take))
    }

    /// The foreground pixel with the largest in-plane distance (mm) to the nearest non-label pixel, pixels outside
    /// the image counting as background; ties go to the first in row-major order.
    func furthest(label: Int, slice k: Int, box b: SliceCensus.SliceBox) -> PromptPoint {
        let w = b.x1 - b.x0 + 3, h = b.y1 - b.y0 + 3
        let base = k * width * height, value = Float(label)
        var sites: [Int] = []
        for y in 0..<h {
            for x in 0..<w {
                let sx = b.x0 + x - 1, sy = b.y0 + y - 1
                let inside = x > 0 && y > 0 && x < w - 1 && y < h - 1 && voxels[base + sy * width + sx] == value
                if !inside { sites.append(y * w + x) }
            }
        }
        let d = DistanceTransform.squaredDistances(size: [w, h, 1], spacing: [spacing.x, spacing.y, 1], sites: sites)
        var best = 0
        for i in 0..<d.count where d[i] > d[best] { best = i }
        return PromptPoint(x: Double(b.x0 + best % w - 1), y: Double(b.y0 + best / w - 1))
    }
}
