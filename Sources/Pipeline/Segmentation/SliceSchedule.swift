import Foundation

/// The order slices are encoded in so that every slice is encoded once: an ascending sweep (the upward halves of
/// the propagations and the independent slices) and a descending sweep (the downward halves). Slices both sweeps
/// need keep their embedding from the first sweep while `cacheCapacity` allows; the rest are encoded again.
struct SliceSchedule: Equatable {
    /// One propagation of one label.
    struct Track: Equatable {
        var labelIndex: Int
        var prompt: PropagationPrompt
        var up: ClosedRange<Int> { prompt.keySlice...prompt.slices.upperBound }
        var down: ClosedRange<Int>? {
            prompt.slices.lowerBound < prompt.keySlice ? prompt.slices.lowerBound...(prompt.keySlice - 1) : nil
        }
    }

    let tracks: [Track]
    let ascending: [Int]
    let descending: [Int]
    /// Slices of the ascending sweep whose embeddings are kept for the descending sweep.
    let cached: Set<Int>
    /// Per label index: slices with prompts no propagation of that label covers, and which sweep does them.
    let independent: [[Int: Sweep]]

    enum Sweep { case ascending, descending }

    init(labels: [LabelPrompts], cacheCapacity: Int) {
        var tracks: [Track] = []
        for (li, l) in labels.enumerated() { for p in l.propagations { tracks.append(Track(labelIndex: li, prompt: p)) } }
        var up = Set<Int>(), down = Set<Int>()
        for t in tracks {
            up.formUnion(t.up)
            if let d = t.down { down.formUnion(d) }
        }
        var independent: [[Int: Sweep]] = []
        var alone = Set<Int>()
        for (li, l) in labels.enumerated() {
            let covered = tracks.filter { $0.labelIndex == li }.map(\.prompt.slices)
            var mine: [Int: Sweep] = [:]
            for k in l.slicePrompts.keys where !covered.contains(where: { $0.contains(k) }) {
                mine[k] = up.contains(k) || !down.contains(k) ? .ascending : .descending
                if mine[k] == .ascending { alone.insert(k) }
            }
            independent.append(mine)
        }
        self.tracks = tracks
        ascending = up.union(alone).sorted()
        descending = down.sorted(by: >)
        cached = Set(ascending.filter { down.contains($0) }.prefix(max(0, cacheCapacity)))
        self.independent = independent
    }

    /// How many encoder runs the schedule needs.
    var encodeCount: Int { ascending.count + descending.count - cached.count }

    /// Distinct slices touched.
    var sliceCount: Int { Set(ascending).union(descending).count }
}
