import Foundation
import Imaging
import SAM
import Tensor
import Training
import Volume

/// Which prompts the decoder is trained with: boxes (the slice box, and boxes with each side moved out by up to 5
/// frame pixels, as MedSAM's bbox_shift), points (the point furthest from the margin, and random points inside),
/// or both, so the adapted model serves either.
public enum TrainingPrompts: String, Sendable, CaseIterable {
    case box, point, mixed
}

/// Training samples from training slices (exemplars and synthesized ones): each slice encoded once by the frozen
/// encoder (its embedding kept in half precision, or, when the encoder's last stage trains, that stage's input), and
/// per target on it a few prompts, derived as the test-time
/// strategies derive them (LabelMapPrompts' slice boxes, furthest and random points), with the target mask in the
/// model's frame.
public enum FinetuneSamples {
    /// Prompt variants per (slice, target) and kind: the exact one plus this many random ones.
    public static let variants = 3

    /// Samples from `count` slices, slice i made by `slice(i)` when its turn comes (so synthesized slices are not
    /// all held at once); `progress` hears each encoded slice. `variants` random prompts join each exact one
    /// (0 for validation: the exact box and the furthest point only).
    public static func make(count: Int, slice: (Int) -> TrainingSlice, model: LiteMedSAM, prompts: TrainingPrompts, seed: UInt64,
                            variants: Int = variants, place: AdaptationPlace = .decoder, progress: () -> Void = {}) throws -> [TrainingSample] {
        let frameSize = model.spec.frameSize
        let noMask = model.promptEmbeddings(ModelPrompt(box: [0, 0, 1, 1])).dense
        let dense = Matrix<Float>(rows: noMask.shape[0], columns: noMask.shape[1], values: noMask.data)
        var samples: [TrainingSample] = []
        var random = SeededRandom(seed: seed)
        for start in stride(from: 0, to: count, by: 2) {
            let batch = (start..<min(count, start + 2)).map(slice)
            let frames = batch.map { s in
                PreparedSlice(ImageSlice(width: s.image.width, height: s.image.height, pixels: s.image.pixels.map { $0 * 255 }), frame: frameSize)
            }
            let inputs = frames.map(\.input)
            let encoded = place.adaptsEncoder ? model.encodeToLastStage(inputs) : model.encode(inputs)
            for ((trainingSlice, frame), features) in zip(zip(batch, frames), encoded) {
                progress()
                let stored = StoredFeatures(Matrix(rows: features.count / features.shape.last!, columns: features.shape.last!, values: features.data))
                for t in trainingSlice.masks.indices where trainingSlice.area(t) >= ExemplarSelection.minimumArea {
                    let target = StoredTarget(frame.frameMask(trainingSlice.masks[t]))
                    for prompt in try modelPrompts(mask: trainingSlice.masks[t], width: frame.originalWidth, height: frame.originalHeight,
                                                   frame: frame, kind: prompts, variants: variants, random: &random) {
                        let sparse = model.promptEmbeddings(prompt).sparse
                        samples.append(TrainingSample(features: stored, dense: dense,
                                                     sparse: Matrix(rows: sparse.shape[0], columns: sparse.shape[1], values: sparse.data),
                                                     target: target, prompt: prompt.box == nil ? .point : .box))
                    }
                }
            }
        }
        return samples
    }

    /// The prompts of one target on one slice, in the model frame.
    static func modelPrompts(mask: [Bool], width: Int, height: Int, frame: PreparedSlice, kind: TrainingPrompts, variants: Int,
                             random: inout SeededRandom) throws -> [ModelPrompt] {
        let lps = Affine(rows: [[-1, 0, 0, 0], [0, -1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]])
        let map = Volume(shape: [width, height, 1], affine: lps, voxels: mask.map { $0 ? 1 : 0 }, header: .from(affine: lps),
                         source: VolumeSource(path: "exemplar", format: "mask", datatype: .uint8)).canonical()
        let derived = try LabelMapPrompts(labelMap: map, labels: [1])
        var out: [ModelPrompt] = []
        if kind != .point, let box = derived.prompts(strategy: .sliceBoxes)[0].slicePrompts[0]?.box {
            let exact = frame.modelBox(box.corners)
            out.append(ModelPrompt(box: exact))
            for _ in 0..<variants {
                let moved = [exact[0] - Float(random.below(6)), exact[1] - Float(random.below(6)),
                             exact[2] + Float(random.below(6)), exact[3] + Float(random.below(6))]
                out.append(ModelPrompt(box: moved.map { min(Float(frame.frame), max(0, $0)) }))
            }
        }
        if kind != .box {
            var strategies: [(PromptStrategy, UInt64)] = [(.furthest, 0)]
            for _ in 0..<variants { strategies.append((.points(positive: 1, negative: 0), random.next())) }
            for (strategy, seed) in strategies {
                for p in derived.prompts(strategy: strategy, seed: seed)[0].slicePrompts[0]?.points ?? [] {
                    let q = frame.modelPoint(x: p.x, y: p.y)
                    out.append(ModelPrompt(points: [(q.0, q.1, true)]))
                }
            }
        }
        return out
    }
}
