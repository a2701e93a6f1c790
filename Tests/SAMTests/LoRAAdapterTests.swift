import Foundation
import Testing
@testable import SAM
@testable import Tensor

/// LoRA adapters: the file round trip, the engine with an adapter merged against the plain decoder running the
/// same LoRA unmerged, and the refusals (other base weights, files that are not adapters, factors that do not fit).
@Suite(.serialized) struct LoRAAdapterTests {
    static let directory: String = {
        let path = NSTemporaryDirectory() + "volsam-adapter-tests-\(getpid())"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: LoRAAdapterTests.directory) }
        return path
    }()

    /// A full-size plain decoder with a rank-4 LoRA whose B is not zero, so the adapter changes the output.
    static func adaptedDecoder() throws -> PlainMaskDecoder<Float> {
        var decoder: PlainMaskDecoder<Float> = try PlainModelLoader.maskDecoder()
        decoder.addLoRA(LoRASettings(rank: 4, alpha: 8, seed: 3))
        var random = SeededRandom(seed: 11)
        decoder.visitLoRA { name, values in
            if name.hasSuffix(".lora_B") { values = values.map { _ in Float(random.uniform() - 0.5) * 0.05 } }
        }
        return decoder
    }

    @Test func mergedAdapterMatchesThePlainDecoderWithItsLoRA() throws {
        guard let base = SharedModel.model else { return print("skipping: LiteMedSAM weights are not in the cache (make weights)") }
        let decoder = try Self.adaptedDecoder()
        let sha = try ModelWeights.sha256(of: try ModelWeights.locate())
        let path = Self.directory + "/adapter.safetensors"
        let adapter = LoRAAdapter(decoder: decoder, settings: LoRASettings(rank: 4, alpha: 8), baseSHA256: sha, metadata: ["where": "decoder"])
        try adapter.write(to: path)

        let read = try LoRAAdapter.read(path: path)
        #expect(read.rank == 4 && read.alpha == 8 && read.baseSHA256 == sha && read.metadata["where"] == "decoder")
        #expect(read.factors.count == 14, "q and v of 7 attentions: \(read.factors.count)")
        let merged = try read.merged(into: try CheckpointReader.read(path: try ModelWeights.locate()), adapterPath: path)
        for (name, values) in decoder.mergedLoRAWeights() {
            let difference = zip(merged[name]!.values, values).map { abs($0 - $1) }.max()!
            #expect(difference < 1e-6, "\(name): merged file vs decoder \(difference)")
        }

        try Self.expectEngineMatchesPlain(decoder, adapter: path, base: base)
    }

    /// A LoRA on the encoder's last stage (per-head q and v rows of qkv): the file keeps each row LoRA's rows, the
    /// merge puts B A on exactly those rows, and the engine with the adapter gives the plain last stage's embedding
    /// with the LoRA unmerged (prefix from the engine), which the LoRA moves far more than that difference.
    @Test func encoderRowLoRAMergedByTheEngineMatchesThePlainLastStage() throws {
        guard let base = SharedModel.model else { return print("skipping: LiteMedSAM weights are not in the cache (make weights)") }
        var suffix: PlainEncoderSuffix<Float> = try PlainModelLoader.encoderSuffix()
        suffix.addLoRA(LoRASettings(rank: 4, alpha: 8, seed: 3))
        var random = SeededRandom(seed: 12)
        suffix.visitLoRA { name, values in
            if name.hasSuffix("_B") { values = values.map { _ in Float(random.uniform() - 0.5) * 0.2 } }
        }
        let weights = try ModelWeights.locate(), path = Self.directory + "/encoder-adapter.safetensors"
        try LoRAAdapter(decoder: try PlainModelLoader.maskDecoder(), encoder: suffix, settings: LoRASettings(rank: 4, alpha: 8),
                        baseSHA256: try ModelWeights.sha256(of: weights), metadata: ["where": "encoder"]).write(to: path)
        let read = try LoRAAdapter.read(path: path)
        #expect(read.factors.isEmpty && read.rowFactors.count == 4, "q and v of 2 blocks: \(read.rowFactors.keys.sorted())")
        let merged = try read.merged(into: try CheckpointReader.read(path: weights), adapterPath: path)
        for block in suffix.blocks {
            let difference = zip(merged[block.qkv.name + ".weight"]!.values, block.qkv.weightWithRowLoRAs.values).map { abs($0 - $1) }.max()!
            #expect(difference < 1e-6, "\(block.qkv.name): merged file vs plain block \(difference)")
        }
        let image = try GoldenCase("ct_abdomen_122x101").modelInput()
        let plain = suffix.forward(Matrix(rows: 4096, columns: 320, values: base.encoder.prefix(image, upTo: 3).data)).embedding.values
        let engine = try LiteMedSAM(adapter: path).encode(image).data, frozen = base.encode(image).data
        let scale = plain.map(abs).max()!
        let error = zip(plain, engine).map { abs($0 - $1) }.max()!, change = zip(frozen, engine).map { abs($0 - $1) }.max()!
        #expect(error <= 1e-4 * scale && change > 100 * error, "engine vs plain \(error), change \(change), of \(scale)")
        print("engine with an encoder LoRA vs plain last stage: \(error / scale) of the largest value (the LoRA moves it \(change / scale))")
    }

    /// The engine with an adapter file (LoRA or S-SAM merged into the weights, Med-SA's adapters as extra layers)
    /// against the plain decoder running the same adapter unmerged, on the golden CT slice's prompts: within 1e-3 of the logits' scale, and the adapter moving the logits 100 times more than that.
    /// Returns the worst error as a fraction of the largest logit.
    @discardableResult
    static func expectEngineMatchesPlain(_ decoder: PlainMaskDecoder<Float>, adapter path: String, base: LiteMedSAM) throws -> Float {
        let adapted = try LiteMedSAM(adapter: path)
        let golden = try GoldenCase("ct_abdomen_122x101")
        let embedding = base.encode(try golden.modelInput())
        let pe = Matrix<Float>(rows: 4096, columns: 256, values: base.imagePositionalEncoding.data)
        var worst: Float = 0
        for entry in golden.meta.prompts {
            let prompt = try golden.prompt(entry)
            let (sparse, dense) = base.promptEmbeddings(prompt)
            let plain = decoder.forward(embedding: Matrix(rows: 4096, columns: 256, values: embedding.data),
                                        dense: Matrix(rows: 4096, columns: 256, values: dense.data), imagePE: pe,
                                        sparse: Matrix(rows: sparse.shape[0], columns: 256, values: sparse.data)).logits
            let engine = adapted.decode(embedding: embedding, prompt: prompt).logits[0].data
            let unadapted = base.decode(embedding: embedding, prompt: prompt).logits[0].data
            let scale = plain.map(abs).max()!
            let error = zip(plain, engine).map { abs($0 - $1) }.max()!
            let change = zip(unadapted, engine).map { abs($0 - $1) }.max()!
            worst = max(worst, error / scale)
            #expect(error <= 1e-3 * scale, "\(entry.kind): engine with adapter vs plain decoder \(error) (max \(scale))")
            #expect(change > 100 * error, "\(entry.kind): the adapter changes the logits by \(change) only")
        }
        return worst
    }

    @Test func adapterOfOtherBaseWeightsIsRefused() throws {
        guard SharedModel.model != nil else { return print("skipping: LiteMedSAM weights are not in the cache (make weights)") }
        let path = Self.directory + "/other-base.safetensors"
        try LoRAAdapter(decoder: try Self.adaptedDecoder(), settings: LoRASettings(rank: 4, alpha: 8),
                        baseSHA256: String(repeating: "0", count: 64), metadata: [:]).write(to: path)
        #expect {
            _ = try LiteMedSAM(adapter: path)
        } throws: { error in
            "\(error)".contains(path) && "\(error)".contains("other base weights")
        }
    }

    @Test func filesThatAreNotAdaptersAreRefused() throws {
        let plain = Self.directory + "/plain.safetensors"
        try SafeTensorsWriter.write(["w": ([2, 2], [1, 2, 3, 4])], metadata: [:], to: plain)
        #expect(throws: CheckpointError.self) { _ = try LoRAAdapter.read(path: plain) }

        let mismatched = Self.directory + "/mismatched.safetensors"
        let meta = ["format": "volsam-adapter", "method": "lora", "rank": "4", "alpha": "4", "base_sha256": String(repeating: "a", count: 64)]
        try SafeTensorsWriter.write(["x.lora_A": ([4, 8], [Float](repeating: 0, count: 32)), "x.lora_B": ([8, 2], [Float](repeating: 0, count: 16))],
                                    metadata: meta, to: mismatched)
        #expect { _ = try LoRAAdapter.read(path: mismatched) } throws: { "\($0)".contains("not of rank 4") }

        let lonely = Self.directory + "/lonely.safetensors"
        try SafeTensorsWriter.write(["x.lora_A": ([4, 8], [Float](repeating: 0, count: 32))], metadata: meta, to: lonely)
        #expect { _ = try LoRAAdapter.read(path: lonely) } throws: { "\($0)".contains("lacks its lora_A or lora_B") }

        let rowless = Self.directory + "/rowless.safetensors"
        try SafeTensorsWriter.write(["x.qkv.lora_q_A": ([4, 8], [Float](repeating: 0, count: 32)), "x.qkv.lora_q_B": ([2, 4], [Float](repeating: 0, count: 8))],
                                    metadata: meta, to: rowless)
        #expect { _ = try LoRAAdapter.read(path: rowless) } throws: { "\($0)".contains("x.qkv.lora_q lacks its _A, _B or _rows tensor") }
        let badRows = Self.directory + "/bad-rows.safetensors"
        try SafeTensorsWriter.write(["x.qkv.lora_q_A": ([4, 8], [Float](repeating: 0, count: 32)), "x.qkv.lora_q_B": ([2, 4], [Float](repeating: 0, count: 8)),
                                     "x.qkv.lora_q_rows": ([2], [3, 3])], metadata: meta, to: badRows)
        #expect { _ = try LoRAAdapter.read(path: badRows) } throws: { "\($0)".contains("must hold B's 2 distinct row indices") }

        let unknownLayer = Self.directory + "/unknown-layer.safetensors"
        try LoRAAdapter(rank: 4, alpha: 4, baseSHA256: String(repeating: "a", count: 64), metadata: [:],
                        factors: ["nowhere.q_proj": (CheckpointTensor(shape: [4, 8], storedType: .float32, values: .init(repeating: 0, count: 32)),
                                                     CheckpointTensor(shape: [8, 4], storedType: .float32, values: .init(repeating: 0, count: 32)))])
            .write(to: unknownLayer)
        let adapter = try LoRAAdapter.read(path: unknownLayer)
        #expect { _ = try adapter.merged(into: [:], adapterPath: unknownLayer) } throws: { "\($0)".contains("the base weights lack") }
    }
}
