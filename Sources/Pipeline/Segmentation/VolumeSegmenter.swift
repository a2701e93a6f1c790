import Foundation
import Imaging
import SAM
import Tensor
import Volume

/// Progress of a segmentation run: encoder runs done out of planned.
public struct SegmentationProgress: Sendable {
    public var encoded: Int
    public var planned: Int
}

/// A canonical multilabel mask with the winning logits, and what it cost.
public struct SegmentationResult: Sendable {
    public let shape: [Int]
    /// Canonical label map (0 = background).
    public var labels: [UInt16]
    /// Per slice: the highest logit of any label at each pixel (nil where no prompt reached the slice, and where the
    /// segmenter did not keep them).
    public var logits: [[Float]?]
    /// Each label's own mask before overlaps are resolved (canonical), when the segmenter keeps them.
    public var masks: [Int: [Bool]] = [:]
    public var encodedSlices = 0
    public var distinctSlices = 0
    public var decodedPrompts = 0
    public var encodeSeconds = 0.0
    public var decodeSeconds = 0.0
    public var totalSeconds = 0.0

    /// Sigmoid of the winning logit (0 where nothing was decoded), canonical grid.
    public func probabilities() -> [Float] {
        let n = shape[0] * shape[1]
        var out = [Float](repeating: 0, count: labels.count)
        for (k, slice) in logits.enumerated() {
            guard let slice else { continue }
            for i in 0..<n { out[k * n + i] = 1 / (1 + exp(-slice[i])) }
        }
        return out
    }
}

/// Segments a volume slice by slice with a promptable 2-D model: 3-D boxes propagated (`PropagationMode`: VolSAM's
/// rules or the LiteMedSAM 3-D protocol), independent prompts elsewhere; each slice is encoded once and its
/// embedding serves every label.
public struct VolumeSegmenter<Model: PromptableSliceModel>: Sendable {
    public let model: Model
    /// Embeddings kept between the two sweeps at most (the rest are encoded again).
    public var cacheCapacity: Int
    /// Also keep every label's own mask (for nested targets such as the BraTS regions).
    public var keepsLabelMasks = false
    /// Keep the winning logits of every slice (for probabilities); otherwise only while a slice may be revisited.
    public var keepsLogits = true
    /// How 3-D boxes are carried from slice to slice.
    public var propagation = PropagationMode.auto

    public init(model: Model, cacheCapacity: Int = 96) {
        self.model = model
        self.cacheCapacity = cacheCapacity
    }

    /// The encoder runs `segment` will make for these prompts.
    public func plannedEncodes(_ labels: [LabelPrompts]) -> Int {
        SliceSchedule(labels: labels, cacheCapacity: cacheCapacity).encodeCount
    }

    /// `volume` holds intensities normalized to [0, 1]; prompts are in its canonical layout and must lie inside it.
    public func segment(_ volume: CanonicalVolume, prompts labels: [LabelPrompts],
                        progress: (SegmentationProgress) -> Void = { _ in }) -> SegmentationResult {
        let start = Date()
        let schedule = SliceSchedule(labels: labels, cacheCapacity: cacheCapacity)
        var run = SegmentationRun(volume: volume, labels: labels, schedule: schedule, mode: propagation)
        if keepsLabelMasks {
            for l in labels { run.result.masks[l.label] = [Bool](repeating: false, count: volume.voxels.count) }
        }
        var cache: [Int: Model.Embedding] = [:]
        let revisited = Set(schedule.ascending).intersection(schedule.descending)
        let visits = schedule.ascending.map { ($0, SliceSchedule.Sweep.ascending) }
            + schedule.descending.map { ($0, SliceSchedule.Sweep.descending) }
        // An encoder run also encodes, side by side, the next visit's slice that needs one of its own.
        var ahead: (slice: Int, embedding: Model.Embedding)?
        var done = 0
        func prepared(_ k: Int) -> PreparedSlice {
            let slice = volume.slice(k)
            return PreparedSlice(ImageSlice(width: slice.width, height: slice.height, pixels: slice.pixels.map { $0 * 255 }),
                                 frame: model.frameSize)
        }
        func visit(_ position: Int) {
            let (k, sweep) = visits[position]
            let frame = prepared(k)
            let embedding: Model.Embedding
            if let kept = cache.removeValue(forKey: k) {
                embedding = kept
            } else if let early = ahead, early.slice == k {
                embedding = early.embedding
                ahead = nil
            } else {
                let next = visits[(position + 1)...].first { $0.1 == .ascending || !schedule.cached.contains($0.0) }
                let batch = [k] + (next.map { $0.0 == k ? [] : [$0.0] } ?? [])
                let t0 = Date()
                let embeddings = model.encode([frame] + batch.dropFirst().map(prepared))
                run.result.encodeSeconds += Date().timeIntervalSince(t0)
                embedding = embeddings[0]
                if batch.count > 1 { ahead = (batch[1], embeddings[1]) }
                done += batch.count
                progress(SegmentationProgress(encoded: done, planned: schedule.encodeCount))
            }
            if sweep == .ascending && schedule.cached.contains(k) { cache[k] = embedding }
            var jobs = run.jobs(slice: k, sweep: sweep, frame: frame)
            guard !jobs.isEmpty else { return }
            let t0 = Date()
            let logits = decode(&jobs, embedding: embedding, run: run, slice: k, sweep: sweep, frame: frame)
            run.result.decodeSeconds += Date().timeIntervalSince(t0)
            run.absorb(slice: k, sweep: sweep, jobs: jobs, logits: logits.map { frame.upsample($0).pixels })
            if !keepsLogits && (sweep == .descending || !revisited.contains(k)) { run.result.logits[k] = nil }
        }
        for position in visits.indices { visit(position) }
        run.result.encodedSlices = done
        run.result.distinctSlices = schedule.sliceCount
        run.result.totalSeconds = Date().timeIntervalSince(start)
        return run.result
    }

    /// Low-resolution logits of a slice's jobs; in `auto` mode boxes that cut their structure off are widened
    /// (`BoxRefinement`), the jobs keeping the boxes whose masks were kept.
    func decode(_ jobs: inout [SegmentationRun.Job], embedding: Model.Embedding, run: SegmentationRun, slice k: Int,
                sweep: SliceSchedule.Sweep, frame: PreparedSlice) -> [Tensor] {
        var logits = model.decode(embedding, prompts: jobs.map(\.prompt))
        var refused = Set<Int>()
        for _ in 0..<BoxRefinement.rounds {
            let retries = run.refinements(slice: k, jobs: jobs, lowRes: logits, frame: frame).filter { !refused.contains($0.index) }
            if retries.isEmpty { break }
            for (retry, widened) in zip(retries, model.decode(embedding, prompts: retries.map(\.prompt))) {
                if run.accepts(widened, over: logits[retry.index], job: jobs[retry.index], box: retry.prompt.box!, slice: k,
                              sweep: sweep, frame: frame) {
                    jobs[retry.index].prompt = retry.prompt
                    logits[retry.index] = widened
                } else {
                    refused.insert(retry.index)
                }
            }
        }
        return logits
    }
}
