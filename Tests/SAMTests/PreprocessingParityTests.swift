import Foundation
import Testing
@testable import SAM
@testable import Tensor
@testable import Imaging

/// Pre- and postprocessing against the reference protocol's (OpenCV INTER_AREA, torch bilinear) on real slices.
@Suite struct PreprocessingParityTests {
    static func slice(_ golden: GoldenCase) throws -> ImageSlice {
        ImageSlice(width: golden.meta.width, height: golden.meta.height, pixels: try golden.floats("slice.f32.gz"))
    }

    @Test(arguments: GoldenCase.names)
    func preprocessedInputMatches(name: String) throws {
        let golden = try GoldenCase(name)
        let prepared = PreparedSlice(try Self.slice(golden), frame: ModelSpec.liteMedSAM.frameSize)
        #expect([prepared.resizedHeight, prepared.resizedWidth] == golden.meta.resized)
        let expected = try golden.floats("input.f32.gz")
        var worst: Float = 0
        for p in 0..<(256 * 256) { worst = max(worst, abs(prepared.input.data[p * 3] - expected[p])) }
        #expect(worst <= 1e-4, "\(name): preprocessed input differs by \(worst)")
        for prompt in golden.meta.prompts where prompt.box != nil {
            #expect(prepared.modelBox(prompt.box!.map(Double.init)) == prompt.box256!.map(Float.init))
        }
    }

    @Test(arguments: GoldenCase.names)
    func postprocessingOfPyTorchLogitsGivesPyTorchMasks(name: String) throws {
        let golden = try GoldenCase(name)
        let prepared = PreparedSlice(try Self.slice(golden), frame: ModelSpec.liteMedSAM.frameSize)
        for index in golden.meta.prompts.indices {
            let logits = Tensor(shape: [256, 256], data: try golden.floats("logits_\(index).f32.gz"))
            let mask = prepared.upsample(logits).pixels.map { $0 > 0 }
            let expected = try golden.bytes("mask_\(index).u8.gz").map { $0 > 0 }
            #expect(maskIoU(mask, expected) >= 0.999, "\(name) prompt \(index)")
        }
    }

    @Test func areaResizeOfConstantsAndBlocks() {
        let ramp = ImageSlice(width: 4, height: 2, pixels: [1, 3, 5, 7, 9, 11, 13, 15])
        #expect(AreaResize.resize(ramp, width: 2, height: 1).pixels == [6, 10])  // 2x2 block means
        let constant = ImageSlice(width: 5, height: 3, pixels: [Float](repeating: 4, count: 15))
        for (w, h) in [(3, 2), (7, 4), (9, 2), (2, 6)] {
            #expect(AreaResize.resize(constant, width: w, height: h).pixels.allSatisfy { abs($0 - 4) < 1e-5 })
        }
    }
}

/// Intersection over union of two masks (1 when both are empty).
func maskIoU(_ a: [Bool], _ b: [Bool]) -> Double {
    var intersection = 0, union = 0
    for (x, y) in zip(a, b) {
        if x && y { intersection += 1 }
        if x || y { union += 1 }
    }
    return union == 0 ? 1 : Double(intersection) / Double(union)
}
