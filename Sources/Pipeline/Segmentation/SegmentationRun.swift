import Foundation
import SAM
import Tensor
import Volume

/// The state of one segmentation: each propagation's last mask, and the merged labels and logits so far.
struct SegmentationRun {
    /// One prompt to decode on a slice, and whose it is.
    struct Job {
        var labelIndex: Int
        var track: Int?
        var prompt: ModelPrompt
    }

    /// What one half of a propagation carries to its next slice.
    struct TrackState {
        var mask: [Bool]?
        /// Foreground pixels of the last mask and of the one before it (0 before the key slice).
        var area = 0, previousArea = 0
        /// The structure was seen; in `auto` mode an empty mask after that ends the propagation.
        var found = false
        var stopped = false
        /// The box (frame pixels) the last mask was decoded with, after any second look.
        var box: [Float]?
    }

    let labels: [LabelPrompts]
    let schedule: SliceSchedule
    let mode: PropagationMode
    let width: Int, height: Int
    var result: SegmentationResult
    /// Each track's state on the slice it last visited; the key slice's state is kept for the descending half.
    var state: [TrackState]
    var keyState: [TrackState]

    init(volume: CanonicalVolume, labels: [LabelPrompts], schedule: SliceSchedule, mode: PropagationMode) {
        self.labels = labels
        self.schedule = schedule
        self.mode = mode
        width = volume.width
        height = volume.height
        result = SegmentationResult(shape: volume.shape, labels: [UInt16](repeating: 0, count: volume.voxels.count),
                                    logits: Array(repeating: nil, count: volume.sliceCount))
        state = Array(repeating: TrackState(), count: schedule.tracks.count)
        keyState = state
    }

    /// The prompts of every label on slice k in this sweep (propagated boxes join the label's points on k).
    func jobs(slice k: Int, sweep: SliceSchedule.Sweep, frame: PreparedSlice) -> [Job] {
        var jobs: [Job] = []
        for (li, label) in labels.enumerated() {
            let onSlice = label.slicePrompts[k]
            let points = (onSlice?.points ?? []).map { p in
                let q = frame.modelPoint(x: p.x, y: p.y)
                return (x: q.0, y: q.1, positive: p.positive)
            }
            var coveredUp = false
            for (t, track) in schedule.tracks.enumerated() where track.labelIndex == li {
                if track.up.contains(k) { coveredUp = true }
                let active = sweep == .ascending ? track.up.contains(k) : track.down?.contains(k) ?? false
                guard active else { continue }
                let key = frame.modelBox(track.prompt.box.corners)
                let box: [Float]
                if k == track.prompt.keySlice {
                    box = key
                } else {
                    let previous = previousState(t, slice: k, sweep: sweep)
                    if previous.stopped { continue }
                    box = self.box(after: previous, frame: frame) ?? key
                }
                jobs.append(Job(labelIndex: li, track: t, prompt: ModelPrompt(box: box, points: points)))
            }
            guard let onSlice else { continue }
            if let assigned = schedule.independent[li][k] {
                if assigned == sweep {
                    jobs.append(Job(labelIndex: li, track: nil,
                                    prompt: ModelPrompt(box: onSlice.box.map { frame.modelBox($0.corners) }, points: points)))
                }
            } else if let box = onSlice.box, (sweep == .ascending) == coveredUp {
                jobs.append(Job(labelIndex: li, track: nil, prompt: ModelPrompt(box: frame.modelBox(box.corners))))
            }
        }
        return jobs
    }

    /// What track t carries into slice k: the key slice's state for the first slice of the descending half, else the
    /// state of the slice it last visited.
    func previousState(_ t: Int, slice k: Int, sweep: SliceSchedule.Sweep) -> TrackState {
        sweep == .descending && k == schedule.tracks[t].prompt.keySlice - 1 ? keyState[t] : state[t]
    }

    /// The box (frame pixels) for a track's next slice, nil when the previous mask is empty (the reference then
    /// prompts the key box again): the reference's box of the previous mask + 3 px; in `auto` mode the mask's box is
    /// first widened about its centre by the mask's growth from the slice before (sqrt of the area ratio, at most
    /// `PropagationMode.growthLimit`), then each side the mask stopped just short of is held where it was
    /// (`PropagationMode.holdFraction`).
    func box(after previous: TrackState, frame: PreparedSlice) -> [Float]? {
        guard let mask = previous.mask else { return nil }
        guard mode.extrapolatesGrowth else { return frame.propagationBox(previousMask: mask) }
        guard let b = frame.frameBounds(of: mask) else { return nil }
        var grow = 1.0
        if previous.previousArea > 0 && previous.area > previous.previousArea {
            grow = min(PropagationMode.growthLimit, (Double(previous.area) / Double(previous.previousArea)).squareRoot())
        }
        let cx = Double((b[0] + b[2]) / 2), cy = Double((b[1] + b[3]) / 2)
        let hw = Double(b[2] - b[0]) / 2 * grow, hh = Double(b[3] - b[1]) / 2 * grow
        let margin = Double(PreparedSlice.propagationMargin), limit = Double(frame.frame)
        var box = [cx - hw - margin, cy - hh - margin, cx + hw + margin, cy + hh + margin].map { Float(min(max($0.rounded(), 0), limit)) }
        if let last = previous.box {
            let hold = [last[2] - last[0], last[3] - last[1]].map { min(PropagationMode.holdLimit, PropagationMode.holdFraction * $0) }
            for side in 0..<2 where b[side] - last[side] <= hold[side] { box[side] = min(box[side], last[side]) }
            for side in 2..<4 where last[side] - b[side] <= hold[side - 2] { box[side] = max(box[side], last[side]) }
        }
        return box
    }

    /// Full-resolution logits of each job: update the tracks, then merge into the label map (highest logit wins; a
    /// label needs a positive logit).
    mutating func absorb(slice k: Int, sweep: SliceSchedule.Sweep, jobs: [Job], logits: [[Float]]) {
        let n = width * height
        result.decodedPrompts += jobs.count
        var perLabel: [Int: [Float]] = [:]
        for (job, values) in zip(jobs, logits) {
            if let t = job.track {
                let key = schedule.tracks[t].prompt.keySlice
                var s = previousState(t, slice: k, sweep: sweep)
                s.mask = values.map { $0 > 0 }
                s.box = job.prompt.box
                s.previousArea = k == key ? 0 : s.area
                s.area = s.mask!.reduce(0) { $0 + ($1 ? 1 : 0) }
                if s.area > 0 {
                    s.found = true
                } else if s.found && mode.stopsWhenEmpty {
                    s.stopped = true
                }
                state[t] = s
                if k == key { keyState[t] = s }
            }
            if var merged = perLabel[job.labelIndex] {
                for i in 0..<n { merged[i] = max(merged[i], values[i]) }
                perLabel[job.labelIndex] = merged
            } else {
                perLabel[job.labelIndex] = values
            }
        }
        var best = result.logits[k] ?? [Float](repeating: -.infinity, count: n)
        let base = k * n
        for li in perLabel.keys.sorted() {
            let values = perLabel[li]!, value = UInt16(labels[li].label)
            if var mask = result.masks.removeValue(forKey: labels[li].label) {
                for i in 0..<n where values[i] > 0 { mask[base + i] = true }
                result.masks[labels[li].label] = mask
            }
            for i in 0..<n where values[i] > best[i] {
                best[i] = values[i]
                if values[i] > 0 { result.labels[base + i] = value }
            }
        }
        result.logits[k] = best
    }
}
