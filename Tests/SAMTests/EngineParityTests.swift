import Foundation
import Testing
@testable import SAM
@testable import Tensor

/// The Swift engine against PyTorch's LiteMedSAM on real slices (box, points, and box with the previous slice's logits
/// as dense mask prompt): embedding within 1e-3 of its largest magnitude,
/// low-res logits within 2e-2, IoU predictions within 1e-3.
@Suite(.serialized) struct EngineParityTests {
    @Test(arguments: GoldenCase.names)
    func encoderAndDecoderMatchPyTorch(name: String) throws {
        guard let model = SharedModel.model else {
            print("skipping: LiteMedSAM weights are not in the cache (make weights)")
            return
        }
        let golden = try GoldenCase(name)
        // the kernels the model chose: AVX-512 on a CPU that has it, unless VOLSAM_KERNELS=avx2 (make test's second pass)
        let forced = ProcessInfo.processInfo.environment["VOLSAM_KERNELS"] == "avx2"
        #expect(EngineKernels.active == (CPUFeatures.level == .avx512 && !forced ? .avx512 : .avx2))
        let embedding = model.encode(try golden.modelInput())
        #expect(embedding.shape == [64, 64, 256])
        var worst = 0.0
        for (index, value) in zip(golden.meta.embedding.sample_index, golden.meta.embedding.sample_value) {
            worst = max(worst, abs(Double(embedding.data[index]) - value))
        }
        let maxAbs = golden.meta.embedding.max_abs
        #expect(worst <= 1e-3 * maxAbs, "\(name): embedding differs by \(worst) (max magnitude \(maxAbs))")
        #expect(abs(Double(embedding.maxAbs) - maxAbs) <= 1e-3 * maxAbs)
        for (index, prompt) in golden.meta.prompts.enumerated() {
            let (logits, iou) = model.decode(embedding: embedding, prompt: try golden.prompt(prompt))
            let expected = try golden.floats("logits_\(index).f32.gz")
            let difference = zip(logits[0].data, expected).map { abs($0 - $1) }.max()!
            #expect(difference <= 2e-2, "\(name) \(prompt.kind): logits differ by \(difference)")
            #expect(abs(Double(iou[0]) - prompt.iou) <= 1e-3, "\(name) \(prompt.kind): IoU \(iou[0]) vs \(prompt.iou)")
            // The whole path: our preprocessing, engine and postprocessing against PyTorch's final mask.
            let prepared = PreparedSlice(try PreprocessingParityTests.slice(golden), frame: ModelSpec.liteMedSAM.frameSize)
            let ours = model.decode(embedding: model.encode(prepared.input), prompt: try golden.prompt(prompt)).logits[0]
            let mask = prepared.upsample(ours).pixels.map { $0 > 0 }
            let expectedMask = try golden.bytes("mask_\(index).u8.gz").map { $0 > 0 }
            #expect(maskIoU(mask, expectedMask) >= 0.995, "\(name) \(prompt.kind): mask IoU \(maskIoU(mask, expectedMask))")
        }
    }
}

/// The shared-image decoder route (low-rank updates through the cached image products) against PyTorch's order
/// of operations, on the same embeddings and prompts, single and multimask.
@Suite(.serialized) struct SharedImageDecoderTests {
    @Test(arguments: GoldenCase.names)
    func sharedRouteMatchesTheDirectOne(name: String) throws {
        guard let model = SharedModel.model else {
            print("skipping: LiteMedSAM weights are not in the cache (make weights)")
            return
        }
        let golden = try GoldenCase(name)
        let embedding = model.encode(try golden.modelInput())
        // Repeated and reordered: groups and passes of several prompts with different token counts.
        let single = try golden.meta.prompts.map { try golden.prompt($0) }
        let prompts = single + single.reversed() + single
        for multimask in [false, true] {
            let shared = model.decode(embedding: embedding, prompts: prompts, multimask: multimask, shareImage: true)
            let direct = model.decode(embedding: embedding, prompts: prompts, multimask: multimask, shareImage: false)
            #expect(shared.count == prompts.count && direct.count == prompts.count)
            for (a, b) in zip(shared, direct) {
                #expect(a.logits.count == b.logits.count)
                for (x, y) in zip(a.logits, b.logits) {
                    let difference = x.maxAbsDifference(y), scale = max(1, y.maxAbs)
                    #expect(difference <= 1e-5 * scale, "\(name) multimask \(multimask): logits differ by \(difference) (max \(scale))")
                }
                for (x, y) in zip(a.iou, b.iou) { #expect(abs(x - y) <= 1e-5, "\(name): IoU \(x) vs \(y)") }
            }
        }
    }
}

/// Whole passes side by side (ParallelLoop.jobs: each thread encodes or decodes alone) give what one pass at a
/// time gives, up to the summation order of sgemm calls that are no longer split over threads.
@Suite(.serialized) struct SideBySidePassTests {
    @Test func batchedEncodesAndDecodesEqualSingleOnes() throws {
        guard let model = SharedModel.model else {
            print("skipping: LiteMedSAM weights are not in the cache (make weights)")
            return
        }
        let goldens = try GoldenCase.names.prefix(3).map { try GoldenCase($0) }
        let inputs = try goldens.map { try $0.modelInput() }
        let batched = model.encode(inputs)
        for (input, embedding) in zip(inputs, batched) {
            let alone = model.encode(input)
            #expect(alone.maxAbsDifference(embedding) <= 1e-5 * alone.maxAbs)
        }
        let prompts = try goldens[0].meta.prompts.map { try goldens[0].prompt($0) }
        let together = model.decode(embedding: batched[0], prompts: prompts + prompts)
        for (index, prompt) in (prompts + prompts).enumerated() {
            let alone = model.decode(embedding: batched[0], prompt: prompt)
            #expect(alone.logits[0].maxAbsDifference(together[index].logits[0]) <= 1e-4 * max(1, alone.logits[0].maxAbs))
            #expect(abs(alone.iou[0] - together[index].iou[0]) <= 1e-5)
        }
    }

    /// Prompts with a mask input (PyTorch's order, one job each) among prompts sharing the image cache (stacked
    /// in groups): every result comes back in its prompt's place.
    @Test func mixedPromptKindsKeepTheirOrder() throws {
        guard let model = SharedModel.model else {
            print("skipping: LiteMedSAM weights are not in the cache (make weights)")
            return
        }
        let golden = try GoldenCase(GoldenCase.names[0])
        let embedding = model.encode(try golden.modelInput())
        let prompts = try golden.meta.prompts.map { try golden.prompt($0) }
        let previous = model.decode(embedding: embedding, prompt: prompts[0]).logits[0]
        let withMask = ModelPrompt(box: prompts[0].box, mask: previous)
        let mixed = [prompts[0], withMask] + prompts + [withMask]
        let together = model.decode(embedding: embedding, prompts: mixed)
        #expect(together.count == mixed.count)
        for (index, prompt) in mixed.enumerated() {
            let alone = model.decode(embedding: embedding, prompt: prompt)
            #expect(alone.logits[0].maxAbsDifference(together[index].logits[0]) <= 1e-4 * max(1, alone.logits[0].maxAbs),
                    "prompt \(index)")
            #expect(abs(alone.iou[0] - together[index].iou[0]) <= 1e-5)
        }
    }
}
