import Foundation
import SAM
import Tensor

/// `auto` propagation's second look at a propagated box that cut its structure off: when the mask reaches a side of
/// a box (longer side at least `minimumSide` frame pixels) that is not at the image's edge, that side moves out and
/// the slice is decoded again; the new mask is kept only if it stops short of at least one of the sides that moved
/// (a mask that reaches every moved side again fills whatever box it is given, as an over-segmenting adapted model
/// does, rather than a structure that was cut off), grew at most `growthLimit` over the previous slice's mask, and
/// the pixels it adds look like the old mask (mean intensity within one standard deviation of the old mask's); else
/// the first one stays.
enum BoxRefinement {
    /// Rounds of widening per slice.
    static let rounds = 2
    /// Boxes shorter than this (frame pixels) on their longer side are not widened: a small structure's mask always
    /// reaches its box.
    static let minimumSide: Float = 32
    /// A mask within this many frame pixels of a side reaches it.
    static let reach: Float = 1
    /// A reached side moves out by this fraction of the box's extent (at least 1 pixel).
    static let step: Float = 0.15
    /// Largest area of a widened box's mask over the previous slice's mask.
    static let growthLimit = 1.15
}

extension SegmentationRun {
    /// The jobs to decode again with wider boxes: propagated boxes (not on their key slice) whose mask, from its
    /// low-resolution logits, reaches one or more sides.
    func refinements(slice k: Int, jobs: [Job], lowRes: [Tensor], frame: PreparedSlice) -> [(index: Int, prompt: ModelPrompt)] {
        guard mode.refinesBoxes else { return [] }
        var out: [(index: Int, prompt: ModelPrompt)] = []
        for (j, job) in jobs.enumerated() {
            guard let t = job.track, k != schedule.tracks[t].prompt.keySlice, let box = job.prompt.box,
                  max(box[2] - box[0], box[3] - box[1]) >= BoxRefinement.minimumSide,
                  let m = Self.bounds(lowRes[j], frame: frame) else { continue }
            let limits: [Float] = [0, 0, Float(frame.resizedWidth - 1), Float(frame.resizedHeight - 1)]
            let r = BoxRefinement.reach
            let dx = max(1, BoxRefinement.step * (box[2] - box[0])), dy = max(1, BoxRefinement.step * (box[3] - box[1]))
            var b = box
            if m[0] <= box[0] + r && box[0] > limits[0] { b[0] = max(limits[0], box[0] - dx) }
            if m[1] <= box[1] + r && box[1] > limits[1] { b[1] = max(limits[1], box[1] - dy) }
            if m[2] >= box[2] - r && box[2] < limits[2] { b[2] = min(limits[2], box[2] + dx) }
            if m[3] >= box[3] - r && box[3] < limits[3] { b[3] = min(limits[3], box[3] + dy) }
            b = b.map { $0.rounded() }
            guard b != box else { continue }
            var prompt = job.prompt
            prompt.box = b
            out.append((j, prompt))
        }
        return out
    }

    /// Whether a widened box's logits replace the first ones (`BoxRefinement`'s edge, growth and intensity
    /// conditions); `job` holds the first box, `box` the widened one.
    func accepts(_ widened: Tensor, over first: Tensor, job: Job, box: [Float], slice k: Int, sweep: SliceSchedule.Sweep,
                 frame: PreparedSlice) -> Bool {
        guard let t = job.track, let old = job.prompt.box, let m = Self.bounds(widened, frame: frame) else { return false }
        let r = BoxRefinement.reach
        let moved = [(box[0] < old[0], m[0] <= box[0] + r), (box[1] < old[1], m[1] <= box[1] + r),
                     (box[2] > old[2], m[2] >= box[2] - r), (box[3] > old[3], m[3] >= box[3] - r)].filter(\.0)
        if moved.allSatisfy(\.1) { return false }
        let previous = previousState(t, slice: k, sweep: sweep)
        let area = frame.upsample(widened).pixels.reduce(0) { $0 + ($1 > 0 ? 1 : 0) }
        if Double(area) > BoxRefinement.growthLimit * Double(previous.area) { return false }
        let image = frame.input.data
        var sum = 0.0, squares = 0.0, count = 0.0, addedSum = 0.0, added = 0.0
        for i in 0..<(frame.frame * frame.frame) {
            let v = Double(image[i * 3])
            if first.data[i] > 0 {
                sum += v
                squares += v * v
                count += 1
            } else if widened.data[i] > 0 {
                addedSum += v
                added += 1
            }
        }
        guard count > 1, added > 0 else { return true }
        let mean = sum / count, deviation = max(0.01, (squares / count - mean * mean).squareRoot())
        return abs(addedSum / added - mean) <= deviation
    }

    /// The bounding box (x0, y0, x1, y1) of positive low-resolution logits inside the resized slice; nil when none.
    static func bounds(_ logits: Tensor, frame: PreparedSlice) -> [Float]? {
        var x0 = Int.max, y0 = Int.max, x1 = -1, y1 = -1
        for y in 0..<frame.resizedHeight {
            for x in 0..<frame.resizedWidth where logits.data[y * frame.frame + x] > 0 {
                x0 = min(x0, x)
                x1 = max(x1, x)
                y0 = min(y0, y)
                y1 = max(y1, y)
            }
        }
        return x1 < 0 ? nil : [x0, y0, x1, y1].map(Float.init)
    }
}
