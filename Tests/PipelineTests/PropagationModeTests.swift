import Foundation
import SAM
import Testing
@testable import Pipeline
@testable import Volume

/// `auto` against `reference` propagation where the right answer is known (the fake model selects the bright pixels
/// inside a box): a structure that grows fast, one that ends before the box's range with something else inside the
/// key box beyond it.
@Suite struct PropagationModeTests {
    /// 256 x 256 x `slices` with bright squares `squares(k)` (x0, y0, side) on slice k.
    static func volume(slices: Int, _ squares: (Int) -> [(x: Int, y: Int, side: Int)]) -> CanonicalVolume {
        var voxels = [Float](repeating: 0, count: 256 * 256 * slices)
        for k in 0..<slices {
            for s in squares(k) {
                for y in s.y..<(s.y + s.side) { for x in s.x..<(s.x + s.side) { voxels[k * 65536 + y * 256 + x] = 1 } }
            }
        }
        let lps = Affine(rows: [[-1, 0, 0, 0], [0, -1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]])
        return Volume(shape: [256, 256, slices], affine: lps, voxels: voxels, header: .from(affine: lps),
                      source: VolumeSource(path: "synthetic", format: "test", datatype: .float32)).canonical()
    }

    static func run(_ mode: PropagationMode, _ volume: CanonicalVolume,
                    _ prompt: PropagationPrompt) -> (SegmentationResult, [ModelPrompt]) {
        let model = FakeSliceModel()
        var segmenter = VolumeSegmenter(model: model)
        segmenter.propagation = mode
        let result = segmenter.segment(volume, prompts: [LabelPrompts(label: 1, propagations: [prompt])])
        return (result, model.prompts.withLock { $0 })
    }

    static func count(_ result: SegmentationResult, slice k: Int) -> Int {
        (0..<65536).reduce(0) { $0 + (result.labels[k * 65536 + $1] == 1 ? 1 : 0) }
    }

    @Test func aBoxGrowsWithAStructureWhoseAreaDoublesEverySlice() {
        // a square centred at (128, 128) whose area doubles from slice to slice (side x sqrt 2), key slice 0
        let sides = [12, 17, 24, 34, 48, 68, 96]
        let volume = Self.volume(slices: sides.count) { k in [(128 - sides[k] / 2, 128 - sides[k] / 2, sides[k])] }
        let prompt = PropagationPrompt(keySlice: 0, box: PromptBox(x0: 122, y0: 122, x1: 133, y1: 133), slices: 0...6)
        let (auto, autoPrompts) = Self.run(.auto, volume, prompt)
        let (reference, referencePrompts) = Self.run(.reference, volume, prompt)
        // the reference's box grows 3 px a side per slice; auto's also by the last growth (at most 10 % a slice)
        #expect(Self.count(auto, slice: 1) == Self.count(reference, slice: 1))  // no growth measured yet
        for k in 2...6 {
            #expect(Self.count(auto, slice: k) > Self.count(reference, slice: k), "slice \(k)")
            #expect(Self.count(auto, slice: k) <= sides[k] * sides[k])  // never outside the structure
        }
        // slice 2: slice 1's mask is the whole 17 x 17 square (120...136) after 12 x 12 on slice 0: the area ratio's
        // square root 1.42 is capped at 1.1, so centre 128 +- (8 x 1.1 + 3) = 116.2...139.8, rounded
        #expect(autoPrompts[2].box == [116, 116, 140, 140])
        #expect(referencePrompts[2].box == [117, 117, 139, 139])  // 120...136 +- 3
        #expect(autoPrompts.count == referencePrompts.count)
    }

    @Test func aStructureThatEndsBeforeTheBoxRangeStopsThere() {
        // the structure on slices 2...6; on slices 8...10 another bright square inside the key box's area
        let volume = Self.volume(slices: 12) { k in
            (2...6).contains(k) ? [(100, 100, 21)] : (8...10).contains(k) ? [(104, 104, 8)] : []
        }
        let prompt = PropagationPrompt(keySlice: 4, box: PromptBox(x0: 100, y0: 100, x1: 120, y1: 120), slices: 0...11)
        let (auto, autoPrompts) = Self.run(.auto, volume, prompt)
        let (reference, referencePrompts) = Self.run(.reference, volume, prompt)
        for k in 2...6 { #expect(Self.count(auto, slice: k) == 21 * 21 && Self.count(reference, slice: k) == 21 * 21) }
        // the reference meets an empty mask on slice 7, prompts the key box again and takes the other square
        for k in 8...10 { #expect(Self.count(reference, slice: k) == 64 && Self.count(auto, slice: k) == 0, "slice \(k)") }
        // auto ends each half at its first empty slice (7 and 1): 5 + 2 prompts instead of 12
        #expect(autoPrompts.count == 7 && referencePrompts.count == 12)
    }
}
