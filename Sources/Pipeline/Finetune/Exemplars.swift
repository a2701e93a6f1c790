import Foundation
import Tensor
import Volume

/// A labelled scan to learn from: its image and label map (same grid), read, normalized and put in the processing
/// layout, with the binary masks of the structures to learn.
public struct TrainingCase: Sendable {
    public let image: String, labelMap: String
    public let volume: CanonicalVolume
    /// The modality and window it was normalized with (the adapter expects images normalized alike).
    public let normalization: String
    /// Per target: the canonical 0/1 mask (targets are single labels, or their union).
    public let targets: [(name: String, mask: [Bool])]

    /// `labels` nil: every label present; `union`: the labels as one structure (BraTS whole tumour).
    public init(image: String, labelMap: String, reading: ImageReading, labels: [Int]?, union: Bool, note: (String) -> Void) throws {
        let loaded = try reading.load(image, note: note)
        let (decision, window) = reading.normalization.decide(for: loaded)
        normalization = "\(decision.modality.rawValue); \(window.summary)"
        let grid = ImageGrid(loaded)
        var canonical = CanonicalVolume(loaded)
        Normalization.normalize(&canonical, window: window)
        let map = try grid.loadAligned(labelMap, note: note).canonical()
        let present = Set(map.voxels.filter { $0 > 0 }.map { Int($0) })
        let wanted = labels ?? present.sorted()
        let missing = wanted.filter { !present.contains($0) }
        if !missing.isEmpty && !union { throw VolumeError(labelMap, "labels \(missing) are not in the label map (present: \(present.sorted()))") }
        if union {
            let members = Set(wanted.map(Float.init))
            targets = [(wanted.map(String.init).joined(separator: "+"), map.voxels.map { members.contains($0) })]
        } else {
            targets = wanted.map { label in (String(label), map.voxels.map { $0 == Float(label) }) }
        }
        (self.image, self.labelMap, volume) = (image, labelMap, canonical)
    }

    /// Pixels of target `t` on canonical slice k.
    public func area(target t: Int, slice k: Int) -> Int {
        let n = volume.width * volume.height
        return targets[t].mask[(k * n)..<((k + 1) * n)].reduce(0) { $0 + ($1 ? 1 : 0) }
    }

    /// Target `t`'s mask on slice k.
    public func mask(target t: Int, slice k: Int) -> [Bool] {
        let n = volume.width * volume.height
        return Array(targets[t].mask[(k * n)..<((k + 1) * n)])
    }
}

/// One exemplar: a slice of a training case.
public struct Exemplar: Sendable, Equatable, Codable {
    public let caseIndex: Int, slice: Int

    public init(caseIndex: Int, slice: Int) {
        (self.caseIndex, self.slice) = (caseIndex, slice)
    }

    enum CodingKeys: String, CodingKey { case caseIndex = "case", slice }
}

/// Cheap Lunch's exemplar choice, seeded: with one target, N random slices where it covers at least `minimumArea`
/// pixels (from all cases); with several, per case the slices holding the most targets, taken round-robin over
/// the cases.
public enum ExemplarSelection {
    public static let minimumArea = 10

    public static func select(_ count: Int, from cases: [TrainingCase], seed: UInt64) -> [Exemplar] {
        var random = SeededRandom(seed: seed)
        let targetCount = cases.first?.targets.count ?? 0
        if targetCount == 1 {
            let candidates = cases.indices.flatMap { c in
                (0..<cases[c].volume.sliceCount).filter { cases[c].area(target: 0, slice: $0) >= minimumArea }.map { Exemplar(caseIndex: c, slice: $0) }
            }
            return draw(count, from: candidates, random: &random)
        }
        var ranked: [[Int]] = []
        for trainingCase in cases {
            var scored: [(slice: Int, targets: Int)] = []
            for k in 0..<trainingCase.volume.sliceCount {
                let present = (0..<targetCount).filter { trainingCase.area(target: $0, slice: k) >= minimumArea }.count
                if present > 0 { scored.append((k, present)) }
            }
            scored.sort { $0.targets != $1.targets ? $0.targets > $1.targets : $0.slice < $1.slice }
            ranked.append(scored.map(\.slice))
        }
        var chosen: [Exemplar] = [], position = 0
        while chosen.count < count && ranked.contains(where: { position < $0.count }) {
            for c in ranked.indices where position < ranked[c].count && chosen.count < count {
                chosen.append(Exemplar(caseIndex: c, slice: ranked[c][position]))
            }
            position += 1
        }
        return chosen.sorted { ($0.caseIndex, $0.slice) < ($1.caseIndex, $1.slice) }
    }

    /// Validation slices: up to `count` random slices (seeded) where a target covers at least `minimumArea` pixels,
    /// none of them an exemplar, sorted.
    public static func heldOut(_ count: Int, from cases: [TrainingCase], excluding exemplars: [Exemplar], seed: UInt64) -> [Exemplar] {
        var random = SeededRandom(seed: seed, label: 2, slice: 0)
        let taken = Set(exemplars.map { [$0.caseIndex, $0.slice] })
        let candidates = cases.indices.flatMap { c in
            (0..<cases[c].volume.sliceCount).filter { k in
                !taken.contains([c, k]) && cases[c].targets.indices.contains { cases[c].area(target: $0, slice: k) >= minimumArea }
            }.map { Exemplar(caseIndex: c, slice: $0) }
        }
        return draw(count, from: candidates, random: &random)
    }

    /// Up to `count` of `candidates` drawn at random without repeats, sorted by case and slice.
    static func draw(_ count: Int, from candidates: [Exemplar], random: inout SeededRandom) -> [Exemplar] {
        var (left, chosen) = (candidates, [Exemplar]())
        while chosen.count < count && !left.isEmpty { chosen.append(left.remove(at: random.below(left.count))) }
        return chosen.sorted { ($0.caseIndex, $0.slice) < ($1.caseIndex, $1.slice) }
    }
}
