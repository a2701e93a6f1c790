import Foundation
import Testing
@testable import SAM
@testable import Tensor

@Suite struct ModelWeightsTests {
    @Test func cacheFolderFollowsTheEnvironment() {
        #expect(ModelWeights.cacheFolder(environment: ["VOLSAM_CACHE": "/a", "XDG_CACHE_HOME": "/b", "HOME": "/h"]) == "/a")
        #expect(ModelWeights.cacheFolder(environment: ["XDG_CACHE_HOME": "/b", "HOME": "/h"]) == "/b/volsam")
        #expect(ModelWeights.cacheFolder(environment: ["HOME": "/h"]) == "/h/.cache/volsam")
    }

    @Test func missingAndMismatchingWeightsSayHowToFetch() throws {
        let folder = NSTemporaryDirectory() + "volsam-weights-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        do {
            _ = try ModelWeights.locate(environment: ["VOLSAM_CACHE": folder])
            Issue.record("missing weights were not reported")
        } catch let error as CheckpointError {
            #expect(error.problem.contains("make weights"))
        }
        try Data(repeating: 7, count: 100).write(to: URL(fileURLWithPath: folder + "/" + ModelSpec.liteMedSAM.checkpointFile))
        do {
            _ = try ModelWeights.locate(environment: ["VOLSAM_CACHE": folder])
            Issue.record("a wrong file was accepted")
        } catch let error as CheckpointError {
            #expect(error.problem.contains("not the 39370479 bytes"), "\(error.problem)")
            #expect(error.problem.contains("make weights"))
        }
    }

    @Test func theRealCheckpointLoads() throws {
        guard let path = try? ModelWeights.locate() else {
            print("skipping: LiteMedSAM weights are not in the cache (make weights)")
            return
        }
        let tensors = try CheckpointReader.read(path: path)
        #expect(tensors.count == 435)
        let counters = tensors.filter { $0.key.hasSuffix("num_batches_tracked") }
        #expect(counters.count == 27 && counters.allSatisfy { $0.value.storedType == .int64 })
        #expect(tensors.values.map(\.count).reduce(0, +) == 9_801_439, "LiteMedSAM's 9.80 M values")
        #expect(tensors["image_encoder.patch_embed.seq.0.c.weight"]?.shape == [32, 3, 1, 1])
        #expect(tensors["mask_decoder.output_upscaling.0.weight"]?.shape == [256, 64, 2, 2])
    }
}
