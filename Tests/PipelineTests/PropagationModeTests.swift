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
        volume(slices: slices) { k in squares(k).map { (x: $0.x, y: $0.y, width: $0.side, height: $0.side, value: Float(1)) } }
    }

    /// 256 x 256 x `slices` with rectangles of the given value on slice k.
    static func volume(slices: Int, _ rectangles: (Int) -> [(x: Int, y: Int, width: Int, height: Int, value: Float)]) -> CanonicalVolume {
        var voxels = [Float](repeating: 0, count: 256 * 256 * slices)
        for k in 0..<slices {
            for r in rectangles(k) {
                for y in r.y..<(r.y + r.height) { for x in r.x..<(r.x + r.width) { voxels[k * 65536 + y * 256 + x] = r.value } }
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
        // from slice 3 the boxes are 32 px or more and cut the square off: auto widens them and decodes again
        #expect(autoPrompts.count > referencePrompts.count)
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

    @Test func aSideTheMaskStopsJustShortOfIsHeld() {
        // 40 high, its right side at 159, its left side moving right 2 px a slice (100, 102, 104, 106): slice 1's
        // mask stops 5 px inside its box's left side (97), within 10 % of the box's 65 px width, so slice 2's box keeps
        // 97 where the reference's follows the mask (99); slice 2's mask is 7 px inside, beyond the hold: 104 - 3
        let volume = Self.volume(slices: 4) { k in [(x: 100 + 2 * k, y: 100, width: 60 - 2 * k, height: 40, value: Float(1))] }
        let prompt = PropagationPrompt(keySlice: 0, box: PromptBox(x0: 100, y0: 100, x1: 159, y1: 139), slices: 0...3)
        let (auto, autoPrompts) = Self.run(.auto, volume, prompt)
        let (reference, referencePrompts) = Self.run(.reference, volume, prompt)
        #expect(autoPrompts.map { $0.box! } == [[100, 100, 159, 139], [97, 97, 162, 142], [97, 97, 162, 142], [101, 97, 162, 142]])
        #expect(referencePrompts.map { $0.box! } == [[100, 100, 159, 139], [97, 97, 162, 142], [99, 97, 162, 142], [101, 97, 162, 142]])
        for k in 0...3 { #expect(Self.count(auto, slice: k) == (60 - 2 * k) * 40 && Self.count(reference, slice: k) == (60 - 2 * k) * 40) }
    }

    @Test func aBoxThatCutsItsStructureOffIsWidened() {
        // 40 x 40 on slices 0 and 1; on slice 2 the structure is 45 wide (x 100...144): slice 1's box (97...142) cuts
        // it at 142, the mask reaches that side, which moves out by 15 % of 45 (149); the new mask (area 1.125 x the
        // previous) is kept
        let volume = Self.volume(slices: 3) { k in [(x: 100, y: 100, width: k == 2 ? 45 : 40, height: 40, value: Float(1))] }
        let prompt = PropagationPrompt(keySlice: 0, box: PromptBox(x0: 100, y0: 100, x1: 139, y1: 139), slices: 0...2)
        let (auto, autoPrompts) = Self.run(.auto, volume, prompt)
        let (reference, _) = Self.run(.reference, volume, prompt)
        #expect(Self.count(reference, slice: 2) == 43 * 40)
        #expect(Self.count(auto, slice: 2) == 45 * 40)
        #expect(autoPrompts.map { $0.box! } == [[100, 100, 139, 139], [97, 97, 142, 142], [97, 97, 142, 142], [97, 97, 149, 142]])
    }

    @Test func aWidenedBoxThatTakesInSomethingElseIsRefused() {
        // as above, 44 wide on slices 0 and 1, 47 on slice 2 (reaching its box's side at 146) with a dimmer 2-pixel
        // neighbour next to it: the widened box's mask takes the neighbour in (area 1.11 x, within the limit) but the
        // pixels it adds are 0.6 against the structure's 1.0: the first mask stays
        let volume = Self.volume(slices: 3) { k in
            k == 2 ? [(x: 100, y: 100, width: 47, height: 40, value: Float(1)), (x: 147, y: 100, width: 2, height: 40, value: Float(0.6))]
                : [(x: 100, y: 100, width: 44, height: 40, value: Float(1))]
        }
        let prompt = PropagationPrompt(keySlice: 0, box: PromptBox(x0: 100, y0: 100, x1: 143, y1: 139), slices: 0...2)
        let (auto, autoPrompts) = Self.run(.auto, volume, prompt)
        let (reference, referencePrompts) = Self.run(.reference, volume, prompt)
        #expect(Self.count(auto, slice: 2) == 47 * 40 && Self.count(reference, slice: 2) == 47 * 40)
        #expect(autoPrompts.count == referencePrompts.count + 1)  // the refused try is not repeated in round 2
    }

    /// (Before this rule the widened masks were kept: the leak ran 15-25 px a slice along the strip, 2560 pixels on
    /// slice 5 against the reference's 1750.)
    @Test func aWidenedBoxWhoseMaskReachesItsNewSideAgainIsRefused() {
        // a 40 x 40 square with a thin strip of the same intensity running from its right side to x 235 (a leak into
        // a neighbour that looks the same, as an over-segmenting adapted model takes): each box's mask follows the
        // strip to the box's right side; a widened box's mask reaches its new side again (it fills whatever it is
        // given) and is refused, so the leak grows by the propagation margin only, as in the reference
        let volume = Self.volume(slices: 6) { _ in
            [(x: 100, y: 100, width: 40, height: 40, value: Float(1)), (x: 140, y: 115, width: 96, height: 10, value: Float(1))]
        }
        let prompt = PropagationPrompt(keySlice: 0, box: PromptBox(x0: 100, y0: 100, x1: 139, y1: 139), slices: 0...5)
        let (auto, autoPrompts) = Self.run(.auto, volume, prompt)
        let (reference, referencePrompts) = Self.run(.reference, volume, prompt)
        for k in 1...5 {  // 3 more strip pixels a slice: 40 x 40 + (3k) x 10
            #expect(Self.count(auto, slice: k) == 1600 + 30 * k && Self.count(reference, slice: k) == 1600 + 30 * k, "slice \(k)")
        }
        #expect(autoPrompts[2].box == [97, 97, 149, 142])  // slice 1's box 97...142 widened on the right by 15 % of 45
        #expect(autoPrompts.count == referencePrompts.count + 5)  // one refused try a slice, not repeated in round 2
    }
}
