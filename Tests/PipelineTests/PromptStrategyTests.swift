import Foundation
import Testing
@testable import Pipeline
@testable import Volume

/// Prompts derived from small label maps are exactly the documented ones.
@Suite struct PromptStrategyTests {
    /// A 12 x 10 x 8 canonical label map (identity affine, 1 mm): label 3 is a box x 2...5, y 1...4 on slices 2...6,
    /// shifted one pixel right on slice 6; label 5 one voxel at (9, 8, 0).
    static func labelMap() -> CanonicalVolume {
        var voxels = [Float](repeating: 0, count: 12 * 10 * 8)
        for k in 2...6 {
            for y in 1...4 { for x in 2...5 { voxels[k * 120 + y * 12 + x + (k == 6 ? 1 : 0)] = 3 } }
        }
        voxels[0 * 120 + 8 * 12 + 9] = 5
        let lps = Affine(rows: [[-1, 0, 0, 0], [0, -1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]])
        let volume = Volume(shape: [12, 10, 8], affine: lps, voxels: voxels, header: .from(affine: lps),
                            source: VolumeSource(path: "labels.nii.gz", format: "test", datatype: .uint8))
        return volume.canonical()
    }

    func prompts(_ strategy: String, labels: [Int]? = nil, seed: UInt64 = 0) throws -> [LabelPrompts] {
        try LabelMapPrompts(labelMap: Self.labelMap(), labels: labels).prompts(strategy: PromptStrategy(parsing: strategy), seed: seed)
    }

    @Test func boxUsesTheReferenceKeySliceAndItsBox() throws {
        let p = try prompts("box")
        #expect(p.map(\.label) == [3, 5])
        #expect(p[0].propagations == [PropagationPrompt(keySlice: 4, box: PromptBox(x0: 2, y0: 1, x1: 5, y1: 4), slices: 2...6)])
        #expect(p[1].propagations == [PropagationPrompt(keySlice: 0, box: PromptBox(x0: 9, y0: 8, x1: 9, y1: 8), slices: 0...0)])
        #expect(PropagationPrompt.keySlice(of: 3...8) == 5)
        #expect(PropagationPrompt.keySlice(of: 0...0) == 0)
    }

    @Test func box3dSpansTheWholeExtent() throws {
        let p = try prompts("box3d", labels: [3])
        #expect(p[0].propagations[0].box == PromptBox(x0: 2, y0: 1, x1: 6, y1: 4))
    }

    @Test func jitterIsSeededBoundedAndZeroWhenAskedForNone() throws {
        #expect(try prompts("box-jitter:0", labels: [3])[0].propagations == prompts("box", labels: [3])[0].propagations)
        let a = try prompts("box-jitter:0.5", labels: [3], seed: 7)[0].propagations[0].box
        let b = try prompts("box-jitter:0.5", labels: [3], seed: 7)[0].propagations[0].box
        #expect(a == b)
        let others = try (0..<20).map { try prompts("box-jitter:0.5", labels: [3], seed: $0)[0].propagations[0].box }
        #expect(Set(others.map(\.description)).count > 1)
        for box in others {
            #expect(box.x0 >= 0 && box.x1 <= 11 && box.x0 <= box.x1 && box.y0 <= box.y1)
            #expect(abs(box.x0 - 2) <= 2 && abs(box.x1 - 5) <= 2 && abs(box.y0 - 1) <= 2 && abs(box.y1 - 4) <= 2)
        }
    }

    @Test func sliceBoxesGiveTheBoxOfEverySlice() throws {
        let p = try prompts("slice-boxes", labels: [3])[0]
        #expect(p.propagations.isEmpty)
        #expect(p.slicePrompts.keys.sorted() == [2, 3, 4, 5, 6])
        #expect(p.slicePrompts[3]?.box == PromptBox(x0: 2, y0: 1, x1: 5, y1: 4))
        #expect(p.slicePrompts[6]?.box == PromptBox(x0: 3, y0: 1, x1: 6, y1: 4))
    }

    @Test func centerAndFurthestPoints() throws {
        let center = try prompts("center", labels: [3])[0]
        // centroid (3.5, 2.5) rounds half away from zero
        #expect(center.slicePrompts[2]?.points == [PromptPoint(x: 4, y: 3)])
        let furthest = try prompts("furthest", labels: [3])[0]
        // 4 x 4 square: the four centre pixels are 2 from the margin; the first in row-major order wins
        #expect(furthest.slicePrompts[2]?.points == [PromptPoint(x: 3, y: 2)])
        #expect(furthest.slicePrompts[6]?.points == [PromptPoint(x: 4, y: 2)])
    }

    @Test func randomPointsAreDistinctInsideAndSeeded() throws {
        let p = try prompts("points:5,neg:2", labels: [3], seed: 3)[0]
        let again = try prompts("points:5,neg:2", labels: [3], seed: 3)[0]
        #expect(p == again)
        let map = Self.labelMap()
        for (k, prompt) in p.slicePrompts {
            #expect(prompt.points.count == 7)
            #expect(Set(prompt.points.map(\.description)).count == 7)
            for point in prompt.points {
                let inside = map.voxels[k * 120 + Int(point.y) * 12 + Int(point.x)] == 3
                #expect(inside == point.positive)
            }
        }
        let single = try prompts("points:100", labels: [5])[0]
        #expect(single.slicePrompts[0]?.points == [PromptPoint(x: 9, y: 8)])
    }

    @Test func quadrantsGiveOnePointPerOccupiedQuadrant() throws {
        let p = try prompts("quadrants", labels: [3])[0]
        // box x 2...5, y 1...4, centre (3.5, 2.5): each quadrant is a 2 x 2 block; nearest to its centroid, row-major
        #expect(p.slicePrompts[2]?.points == [PromptPoint(x: 2, y: 1), PromptPoint(x: 4, y: 1), PromptPoint(x: 2, y: 3), PromptPoint(x: 4, y: 3)])
        #expect(try prompts("quadrants", labels: [5])[0].slicePrompts[0]?.points == [PromptPoint(x: 9, y: 8)])
    }

    @Test func badStrategiesAndLabelsAreRefusedClearly() throws {
        for text in ["boxes", "points:0", "points:2,neg", "box-jitter:2", "points:x"] {
            #expect(throws: PromptError.self, "\(text)") { try PromptStrategy(parsing: text) }
        }
        #expect(try PromptStrategy(parsing: "points:3,neg:1") == .points(positive: 3, negative: 1))
        do {
            _ = try LabelMapPrompts(labelMap: Self.labelMap(), labels: [3, 9])
            Issue.record("missing label accepted")
        } catch let error as PromptError {
            #expect(error.message == "label 9 not in the label map (present: 3, 5)")
        }
    }
}
