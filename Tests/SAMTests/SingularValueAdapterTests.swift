import Foundation
import Testing
@testable import SAM
@testable import Tensor

/// S-SAM adapters: the engine with the file merged (each tuned weight recomposed from its SVD at load, the layer
/// norms replaced) against the plain decoder running the tuning, at full size on the published weights; and the
/// refusals.
@Suite(.serialized) struct SingularValueAdapterTests {
    /// The full-size plain decoder with every singular value's scale and shift and every layer norm moved.
    static func tunedDecoder() throws -> PlainMaskDecoder<Float> {
        var decoder: PlainMaskDecoder<Float> = try PlainModelLoader.maskDecoder()
        try decoder.addSingularValueTuning()
        var random = SeededRandom(seed: 17)
        decoder.visitTrainable { name, values in
            let spread: Float = name.hasSuffix(".svd_shift") ? 0.05 : 0.1
            values = values.map { $0 + Float(random.uniform() - 0.5) * spread }
        }
        return decoder
    }

    @Test func mergedAdapterMatchesThePlainDecoderWithItsTuning() throws {
        guard let base = SharedModel.model else { return print("skipping: LiteMedSAM weights are not in the cache (make weights)") }
        let decoder = try Self.tunedDecoder()
        let path = LoRAAdapterTests.directory + "/svd.safetensors"
        try SingularValueAdapter(decoder: decoder, baseSHA256: try ModelWeights.sha256(of: try ModelWeights.locate()), metadata: ["where": "decoder"])
            .write(to: path)
        let read = try #require(try AdapterFile.read(path: path) as? SingularValueAdapter)
        #expect(read.tuning.count == 14 && read.norms.count == 2 * (2 * 4 + 2), "14 projections, 10 layer norms")
        #expect(read.metadata["method"] == "svd" && read.metadata["where"] == "decoder")

        try LoRAAdapterTests.expectEngineMatchesPlain(decoder, adapter: path, base: base)
    }

    @Test func brokenFilesAreRefused() throws {
        let sha = String(repeating: "0", count: 64)
        let meta = ["format": "volsam-adapter", "method": "svd", "base_sha256": sha]
        let cases: [([String: (shape: [Int], values: [Float])], String)] = [
            (["a.q_proj.svd_scale": ([3], [1, 1, 1])], "lacks its svd_scale or svd_shift"),
            (["a.q_proj.svd_scale": ([2, 2], [1, 1, 1, 1])], "not a vector"),
            (["a.q_proj.other": ([1], [1])], "unknown tensor a.q_proj.other"),
            (["a.norm.weight": ([1], [1])], "holds no singular-value tuning"),
        ]
        for (tensors, message) in cases {
            let path = LoRAAdapterTests.directory + "/broken-svd.safetensors"
            try SafeTensorsWriter.write(tensors, metadata: meta, to: path)
            #expect { _ = try AdapterFile.read(path: path) } throws: { "\($0)".contains(message) }
        }
        let unknown = LoRAAdapterTests.directory + "/unknown-method.safetensors"
        try SafeTensorsWriter.write(["x": ([1], [1])], metadata: ["format": "volsam-adapter", "method": "dora", "base_sha256": sha], to: unknown)
        #expect { _ = try AdapterFile.read(path: unknown) } throws: { "\($0)".contains("unknown adapter method dora") }
    }
}
