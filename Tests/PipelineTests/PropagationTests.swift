import Foundation
import SAM
import Testing
@testable import Pipeline
@testable import Volume

/// The 3-D protocol on a synthetic volume, with a fake model: boxes follow the previous slice's mask, each slice is
/// encoded once for all labels, and overlaps go to the higher logit.
@Suite struct PropagationTests {
    /// 256 x 256 x 16 (so the model frame is the slice frame): a bright 21 x 21 square whose corner moves 2 px right
    /// per slice on slices 3...12 (none on slice 8), and a second bright square far from it on slices 5...9.
    static func volume() -> CanonicalVolume {
        var voxels = [Float](repeating: 0, count: 256 * 256 * 16)
        for k in 3...12 where k != 8 {
            let x0 = 40 + 2 * k
            for y in 60...80 { for x in x0...(x0 + 20) { voxels[k * 65536 + y * 256 + x] = 1 } }
        }
        for k in 5...9 { for y in 150...170 { for x in 150...170 { voxels[k * 65536 + y * 256 + x] = 1 } } }
        let lps = Affine(rows: [[-1, 0, 0, 0], [0, -1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]])
        return Volume(shape: [256, 256, 16], affine: lps, voxels: voxels, header: .from(affine: lps),
                      source: VolumeSource(path: "synthetic", format: "test", datatype: .float32)).canonical()
    }

    static func mask(_ result: SegmentationResult, slice k: Int, label: UInt16) -> Set<Int> {
        Set((0..<65536).filter { result.labels[k * 65536 + $0] == label })
    }

    @Test(arguments: PropagationMode.allCases)
    func boxesFollowThePreviousMaskAndFallBackToTheKeyBox(mode: PropagationMode) {
        let model = FakeSliceModel()
        let key = PromptBox(x0: 56, y0: 60, x1: 76, y1: 80)  // the square on slice 8's neighbours' midpoint, k = 8
        let prompts = [LabelPrompts(label: 1, propagations: [PropagationPrompt(keySlice: 8, box: key, slices: 3...12)])]
        var segmenter = VolumeSegmenter(model: model)
        segmenter.propagation = mode
        let result = segmenter.segment(Self.volume(), prompts: prompts)
        // slice 8 is empty: the key box finds nothing, slices 9 and 7 fall back to the key box (square moved 2 px:
        // partly outside the key box; in auto mode too, as the structure has not been found yet: an empty key-slice
        // box does not end the propagation), then each slice's box is the previous mask's box +3 px, which follows the drift
        // 2 px at a time but cannot recover what the key box cut off.
        #expect(Self.mask(result, slice: 8, label: 1).isEmpty)
        let boxes = model.prompts.withLock { $0 }.map { $0.box! }
        #expect(boxes.count == 10)
        #expect(boxes[0] == [56, 60, 76, 80])  // slice 8, the key
        #expect(boxes[1] == [56, 60, 76, 80])  // slice 9: previous mask empty -> key box
        // slice 10: mask of slice 9 is x 58...76 -> 55...79 (no growth yet from the key slice, so auto agrees)
        #expect(boxes[2] == [55, 57, 79, 83])
        for k in [3, 4, 5, 6, 7, 9, 10, 11, 12] { #expect(!Self.mask(result, slice: k, label: 1).isEmpty, "slice \(k)") }
        #expect(Self.mask(result, slice: 2, label: 1).isEmpty && Self.mask(result, slice: 13, label: 1).isEmpty)
        // slice 12 (last of the range, included as in CVPR24_LiteMedSAM_infer.py): the drifting square, clipped where
        // slice 9's key box clipped it
        let expected12 = Set((60...80).flatMap { y in (64...84).filter { $0 >= 58 }.map { y * 256 + $0 } })
        #expect(Self.mask(result, slice: 12, label: 1) == expected12)
    }

    @Test func everySliceIsEncodedOnceForAllLabels() {
        let model = FakeSliceModel()
        let prompts = [
            LabelPrompts(label: 1, propagations: [PropagationPrompt(keySlice: 7, box: PromptBox(x0: 40, y0: 55, x1: 90, y1: 85), slices: 3...12)]),
            LabelPrompts(label: 2, propagations: [PropagationPrompt(keySlice: 8, box: PromptBox(x0: 145, y0: 145, x1: 175, y1: 175), slices: 5...9)]),
            LabelPrompts(label: 3, slicePrompts: [14: SlicePrompt(points: [PromptPoint(x: 160, y: 160)])]),
        ]
        let segmenter = VolumeSegmenter(model: model, cacheCapacity: 64)
        #expect(segmenter.plannedEncodes(prompts) == 11)
        let result = segmenter.segment(Self.volume(), prompts: prompts)
        #expect(model.encodes.withLock { $0 } == 11)  // slices 3...12 and 14
        #expect(result.encodedSlices == 11 && result.distinctSlices == 11)
        #expect(Self.mask(result, slice: 7, label: 2) == Set((150...170).flatMap { y in (150...170).map { y * 256 + $0 } }))
        #expect(Self.mask(result, slice: 14, label: 3).isEmpty)  // nothing bright there
        // slice 7 is in label 1's upward half and label 2's downward half: without room to keep its embedding
        // between the sweeps it is encoded twice
        let tight = FakeSliceModel()
        let again = VolumeSegmenter(model: tight, cacheCapacity: 0).segment(Self.volume(), prompts: prompts)
        #expect(tight.encodes.withLock { $0 } == 12)
        #expect(again.labels == result.labels)
    }

    @Test func overlapsGoToTheHigherLogitAndMasksCanBeKept() {
        let model = FakeSliceModel()
        let box = PromptBox(x0: 140, y0: 140, x1: 180, y1: 180)
        let prompts = [
            LabelPrompts(label: 4, slicePrompts: [6: SlicePrompt(box: box)]),
            LabelPrompts(label: 9, slicePrompts: [6: SlicePrompt(points: [PromptPoint(x: 160, y: 160)])]),
        ]
        var segmenter = VolumeSegmenter(model: model)
        segmenter.keepsLabelMasks = true
        let result = segmenter.segment(Self.volume(), prompts: prompts)
        // equal logits: the first label keeps the voxel; label 9's own mask is kept separately
        #expect(Self.mask(result, slice: 6, label: 4).count == 21 * 21)
        #expect(result.masks[9]!.filter { $0 }.count == 9 * 9)
        let probabilities = result.probabilities()
        #expect(abs(probabilities[6 * 65536 + 160 * 256 + 160] - 1 / (1 + exp(-4))) < 1e-6)
        #expect(probabilities[5 * 65536] == 0)
    }

    @Test func pointsJoinThePropagatedBoxOnTheirSlice() {
        let model = FakeSliceModel()
        var prompts = LabelPrompts(label: 1, propagations: [PropagationPrompt(keySlice: 6, box: PromptBox(x0: 150, y0: 150, x1: 170, y1: 170), slices: 5...7)])
        prompts.add(point: PromptPoint(x: 160, y: 160, positive: false), slice: 7)
        _ = VolumeSegmenter(model: model).segment(Self.volume(), prompts: [prompts])
        let recorded = model.prompts.withLock { $0 }
        #expect(recorded.count == 3)
        #expect(recorded[1].points.count == 1 && recorded[1].box != nil)  // slice 7: box + the negative point
    }
}
