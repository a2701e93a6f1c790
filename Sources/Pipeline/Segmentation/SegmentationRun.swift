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

    let labels: [LabelPrompts]
    let schedule: SliceSchedule
    let width: Int, height: Int
    var result: SegmentationResult
    /// Each track's mask on the slice it last visited; the key slice's mask is kept for the descending half.
    var lastMask: [[Bool]?]
    var keyMask: [[Bool]?]

    init(volume: CanonicalVolume, labels: [LabelPrompts], schedule: SliceSchedule) {
        self.labels = labels
        self.schedule = schedule
        width = volume.width
        height = volume.height
        result = SegmentationResult(shape: volume.shape, labels: [UInt16](repeating: 0, count: volume.voxels.count),
                                    logits: Array(repeating: nil, count: volume.sliceCount))
        lastMask = Array(repeating: nil, count: schedule.tracks.count)
        keyMask = lastMask
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
                    let previous = sweep == .ascending ? lastMask[t] : (k == track.prompt.keySlice - 1 ? keyMask[t] : lastMask[t])
                    box = previous.flatMap { frame.propagationBox(previousMask: $0) } ?? key
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

    /// Full-resolution logits of each job: update the tracks' masks, then merge into the label map (highest logit
    /// wins; a label needs a positive logit).
    mutating func absorb(slice k: Int, jobs: [Job], logits: [[Float]]) {
        let n = width * height
        result.decodedPrompts += jobs.count
        var perLabel: [Int: [Float]] = [:]
        for (job, values) in zip(jobs, logits) {
            if let t = job.track {
                let mask = values.map { $0 > 0 }
                lastMask[t] = mask
                if k == schedule.tracks[t].prompt.keySlice { keyMask[t] = mask }
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
