import Foundation
import Testing
import Volume

/// `volsam finetune` and `--adapter` as a user runs them: a short run on the sample CT (4 exemplars, 12 steps),
/// its three files, the adapter used by `segment` (recorded in run.json, with the held-out warning), and the
/// refusals.
@Suite(.serialized) struct FinetuneCLITests {
    let cli = CLITests()

    static let folder: String = {
        let path = NSTemporaryDirectory() + "volsam-finetune-cli-\(getpid())"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: FinetuneCLITests.folder) }
        return path
    }()

    static let trainingCase = "sample-data/ct_abdomen.nii.gz:sample-data/ct_abdomen_labels.nii.gz"

    @Test func aShortRunWritesAnAdapterThatSegmentUses() throws {
        let adapter = Self.folder + "/liver.safetensors"
        let trained = try cli.run(["finetune", "--case", Self.trainingCase, "--labels", "6", "--exemplars", "4", "--synthesize", "2",
                                   "--steps", "12", "--batch", "2", "--modality", "ct", "--quiet", "-o", adapter])
        #expect(trained.status == 0, "\(trained.stderr)")
        #expect(trained.stdout.contains("LoRA for 6: 4 exemplar slices from 1 case and 2 synthesized"), "\(trained.stdout)")
        let log = try String(contentsOfFile: Self.folder + "/liver.log.csv", encoding: .utf8).split(separator: "\n")
        #expect(log.count == 13 && log[0] == "step,loss,learning_rate,gradient_norm,seconds", "\(log.prefix(2))")
        let record = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Self.folder + "/liver.run.json")))
            as? [String: Any])
        #expect((record["exemplars"] as? [Any])?.count == 4)
        #expect(record["targets"] as? [String] == ["6"] && record["synthesized"] as? Int == 2)
        #expect((record["final_loss"] as? Double).map { $0.isFinite } == true)

        let output = Self.folder + "/adapted.nii.gz"
        let segmented = try cli.run(["segment", "sample-data/ct_abdomen.nii.gz", "--prompts-from", "sample-data/ct_abdomen_labels.nii.gz",
                                     "--labels", "6", "--modality", "ct", "--adapter", adapter, "--quiet", "-o", output])
        #expect(segmented.status == 0, "\(segmented.stderr)")
        #expect(segmented.stderr.contains("is one of the images \(adapter) was trained on: its scores are not held out"), "\(segmented.stderr)")
        let run = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Self.folder + "/adapted.run.json")))
            as? [String: Any])
        let recorded = try #require(run["adapter"] as? [String: Any])
        #expect(recorded["path"] as? String == adapter && (recorded["sha256"] as? String)?.count == 64 && recorded["rank"] as? Int == 4)
    }

    /// A run of `steps` steps of `method` on 2 exemplars (its summary starting with `summary`), then segment with the
    /// adapter; the adapter's path and what run.json records of it.
    func trainThenSegment(method: String, place: String = "decoder", steps: Int = 6, summary: String) throws -> (adapter: String, recorded: [String: Any]) {
        let adapter = Self.folder + "/liver-\(method)-\(place).safetensors"
        let trained = try cli.run(["finetune", "--case", Self.trainingCase, "--labels", "6", "--exemplars", "2", "--synthesize", "0", "--steps", "\(steps)",
                                   "--batch", "2", "--method", method, "--where", place, "--modality", "ct", "--quiet", "-o", adapter])
        #expect(trained.status == 0 && trained.stdout.hasPrefix(summary), "\(trained.stdout)\(trained.stderr)")
        let output = Self.folder + "/\(method)-\(place)-adapted.nii.gz"
        let segmented = try cli.run(["segment", "sample-data/ct_abdomen.nii.gz", "--box", "6:10,10,5,60,60,8", "--modality", "ct",
                                     "--adapter", adapter, "--quiet", "-o", output])
        #expect(segmented.status == 0, "\(segmented.stderr)")
        let run = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Self.folder + "/\(method)-\(place)-adapted.run.json")))
            as? [String: Any])
        return (adapter, try #require(run["adapter"] as? [String: Any]))
    }

    @Test func singularValueTuningWritesAnAdapterThatSegmentUses() throws {
        let (adapter, recorded) = try trainThenSegment(method: "svd", summary: "S-SAM for 6: 2 exemplar slices")
        #expect(recorded["method"] as? String == "svd" && recorded["rank"] is NSNull, "\(recorded)")
        let rank = try cli.run(["finetune", "--case", Self.trainingCase, "--method", "svd", "--rank", "4", "-o", adapter])
        #expect(rank.status != 0 && rank.stderr.contains("--rank is the LoRA's; --method svd has none"))
    }

    @Test func anEncoderLoRAWritesRowFactorsThatSegmentMerges() throws {
        let (adapter, recorded) = try trainThenSegment(method: "lora", place: "both", steps: 2, summary: "LoRA (encoder and decoder) for 6: 2 exemplar slices")
        #expect(recorded["method"] as? String == "lora", "\(recorded)")
        let header = String(decoding: try Data(contentsOf: URL(fileURLWithPath: adapter)).prefix(20_000), as: UTF8.self)
        for name in ["image_encoder.layers.3.blocks.1.attn.qkv.lora_v_rows", "mask_decoder.transformer.final_attn_token_to_image.q_proj.lora_A"] {
            #expect(header.contains(name), "the adapter holds \(name)")
        }
        let record = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Self.folder + "/liver-lora-both.run.json")))
            as? [String: Any])
        #expect((record["settings"] as? [String: Any])?["where"] as? String == "both")
        let refused = try cli.run(["finetune", "--case", Self.trainingCase, "--method", "adapter", "--where", "encoder", "-o", adapter])
        #expect(refused.status != 0 && refused.stderr.contains("--where encoder adapts the encoder with a LoRA"), "\(refused.stderr)")
    }

    @Test func anEncoderOnlyRunSaysWhatItCostsTheFrozenDecoder() throws {
        let adapter = Self.folder + "/liver-encoder.safetensors"
        let trained = try cli.run(["finetune", "--case", Self.trainingCase, "--labels", "6", "--exemplars", "1", "--synthesize", "0", "--steps", "1",
                                   "--batch", "1", "--where", "encoder", "--modality", "ct", "--quiet", "-o", adapter])
        #expect(trained.status == 0, "\(trained.stderr)")
        #expect(trained.stderr.contains("--where encoder trains the encoder's LoRA under the frozen decoder"), "\(trained.stderr)")
        #expect(trained.stderr.contains("Use --where both"), "\(trained.stderr)")
    }

    @Test func medSAAdaptersWriteAnAdapterThatSegmentUses() throws {
        let (adapter, recorded) = try trainThenSegment(method: "adapter", summary: "Med-SA adapters for 6: 2 exemplar slices")
        #expect(recorded["method"] as? String == "adapter", "\(recorded)")
        // a file whose adapter follows a layer the base weights lack is refused, naming it
        let wrong = Self.folder + "/wrong-medsa.safetensors"
        // (safetensors: an 8-byte header length, then the JSON header; the names have equal lengths, so only they change)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: adapter)))
        let headerEnd = 8 + bytes[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
        let header = String(decoding: bytes[8..<headerEnd], as: UTF8.self).replacingOccurrences(of: "layers.1.mlp_adapter", with: "layers.7.mlp_adapter")
        bytes.replaceSubrange(8..<headerEnd, with: Array(header.utf8))
        try Data(bytes).write(to: URL(fileURLWithPath: wrong))
        let refused = try cli.run(["segment", "sample-data/ct_abdomen.nii.gz", "--box", "6:10,10,5,60,60,8", "--adapter", wrong, "--quiet",
                                   "-o", Self.folder + "/never.nii.gz"])
        #expect(refused.status != 0 && refused.stderr.contains("layers.7.mlp_adapter follows") && !FileManager.default.fileExists(atPath: Self.folder + "/never.nii.gz"),
                "\(refused.stderr)")
    }

    @Test func aDatasetFolderTrainsAndIsProtected() throws {
        let dataset = Self.folder + "/brats", patient = Self.folder + "/brats/Brain1"
        try? FileManager.default.removeItem(atPath: dataset)
        try FileManager.default.createDirectory(atPath: patient, withIntermediateDirectories: true)
        for (from, to) in [("mr_brain_flair", "Brain1_flair"), ("mr_brain_labels", "Brain1_seg")] {
            try FileManager.default.copyItem(atPath: "\(CLITests.repository.path)/sample-data/\(from).nii.gz", toPath: "\(patient)/\(to).nii.gz")
        }
        let adapter = Self.folder + "/tumour.safetensors"
        let trained = try cli.run(["finetune", "--dataset", dataset, "--labels", "1,2,4", "--union", "--exemplars", "2", "--synthesize", "0",
                                   "--steps", "2", "--batch", "2", "--quiet", "--json", "-o", adapter])
        #expect(trained.status == 0, "\(trained.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(trained.stdout.utf8)) as? [String: Any])
        #expect(summary["cases"] as? Int == 1 && summary["targets"] as? [String] == ["1+2+4"], "\(summary)")
        let inside = try cli.run(["finetune", "--dataset", dataset, "--labels", "1", "-o", patient + "/a.safetensors"])
        #expect(inside.status != 0 && inside.stderr.contains("an input folder of the dataset"), "\(inside.stderr)")
        let synth = try cli.run(["synth", "--dataset", dataset, "--layout", "brats2021", "--labels", "1", "--synthesize", "1", "--quiet",
                                 "-o", dataset])
        #expect(synth.status != 0 && synth.stderr.contains("the dataset folder"), "\(synth.stderr)")
    }

    @Test func refusalsNameTheProblem() throws {
        let cases: [([String], String)] = [
            (["--case", "sample-data/ct_abdomen.nii.gz", "-o", Self.folder + "/a.safetensors"], "IMAGE:LABELMAP (one colon)"),
            (["-o", Self.folder + "/a.safetensors"], "give at least one --case IMAGE:LABELMAP, or --dataset DIR"),
            (["--case", Self.trainingCase, "--union", "-o", Self.folder + "/a.safetensors"], "--union needs --labels"),
            (["--case", Self.trainingCase, "-o", Self.folder + "/a.pth"], "-o must end in .safetensors"),
            (["--case", Self.trainingCase, "--steps", "0", "-o", Self.folder + "/a.safetensors"], "--steps must be from 1"),
            (["--case", Self.trainingCase, "--labels", "5", "--quiet", "-o", Self.folder + "/a.safetensors"],
             "sample-data/ct_abdomen_labels.nii.gz: labels [5] are not in the label map"),
        ]
        for (arguments, message) in cases {
            let result = try cli.run(["finetune"] + arguments)
            #expect(result.status != 0 && result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
        let notAdapter = try cli.run(["segment", "sample-data/ct_abdomen.nii.gz", "--box", "6:10,10,5,60,60,8", "--adapter",
                                      "sample-data/ct_abdomen_labels.nii.gz", "-o", Self.folder + "/x.nii.gz"])
        #expect(notAdapter.status != 0 && notAdapter.stderr.contains("--adapter must be a .safetensors file"), "\(notAdapter.stderr)")
        #expect(!FileManager.default.fileExists(atPath: Self.folder + "/a.safetensors"))
    }

    @Test func theAdapterMayNotReplaceATrainingInput() throws {
        let copy = Self.folder + "/labels.safetensors"
        try? FileManager.default.removeItem(atPath: copy)
        try FileManager.default.copyItem(atPath: "\(CLITests.repository.path)/sample-data/ct_abdomen_labels.nii.gz", toPath: copy)
        let result = try cli.run(["finetune", "--case", "sample-data/ct_abdomen.nii.gz:\(copy)", "--labels", "6", "--quiet", "-o", copy])
        #expect(result.status != 0 && result.stderr.contains(copy), "\(result.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: copy)) == Data(contentsOf: CLITests.repository.appendingPathComponent(
            "sample-data/ct_abdomen_labels.nii.gz")), "the training label map is untouched")
    }

    @Test func synthWritesStacksAPersonCanOpen() throws {
        let folder = Self.folder + "/synth"
        var runs: [[Float]] = []
        for _ in 0..<2 {
            let result = try cli.run(["synth", "--case", Self.trainingCase, "--labels", "6", "--exemplars", "2", "--synthesize", "3",
                                      "--modality", "ct", "--quiet", "-o", folder])
            #expect(result.status == 0 && result.stdout.contains("2 exemplar and 3 synthesized slices"), "\(result.stderr)")
            let images = try NIfTIReader.read(path: folder + "/images.nii.gz"), labels = try NIfTIReader.read(path: folder + "/labels.nii.gz")
            #expect(images.shape[2] == 5 && labels.shape == images.shape)
            #expect(Set(labels.voxels) == [0, 6] && images.voxels.allSatisfy { (0...1).contains($0) })
            runs.append(images.voxels)
            let list = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/slices.json")))
                as? [String: Any])
            let origins = (list["slices"] as? [[String: Any]] ?? []).compactMap { $0["origin"] as? String }
            #expect(origins.count == 5 && origins[0].hasPrefix("case 0 slice") && origins[4].hasPrefix("synthesized from case 0 slice"), "\(origins)")
        }
        #expect(runs[0] == runs[1], "same seed, same slices")
        // --synth-zoom and --synth-gamma reach the synthesized slices (zoom 0.5: a quarter of the labelled area), not the exemplars
        let plainLabels = try NIfTIReader.read(path: folder + "/labels.nii.gz").voxels
        let zoomed = try cli.run(["synth", "--case", Self.trainingCase, "--labels", "6", "--exemplars", "2", "--synthesize", "3",
                                  "--modality", "ct", "--synth-zoom", "0.5", "--synth-gamma", "2", "--quiet", "-o", folder])
        #expect(zoomed.status == 0, "\(zoomed.stderr)")
        let (images, labels) = (try NIfTIReader.read(path: folder + "/images.nii.gz"), try NIfTIReader.read(path: folder + "/labels.nii.gz"))
        let n = images.shape[0] * images.shape[1]
        #expect(Array(images.voxels[0..<(2 * n)]) == Array(runs[0][0..<(2 * n)]) && Array(images.voxels[(2 * n)...]) != Array(runs[0][(2 * n)...]))
        let area = { (voxels: [Float]) in voxels[(2 * n)...].filter { $0 > 0 }.count }
        #expect(Double(area(labels.voxels)) < 0.4 * Double(area(plainLabels)), "\(area(labels.voxels)) against \(area(plainLabels))")
        let inside = Self.folder + "/synth-input"
        try? FileManager.default.createDirectory(atPath: inside, withIntermediateDirectories: true)
        try? FileManager.default.removeItem(atPath: inside + "/labels.nii.gz")
        try FileManager.default.copyItem(atPath: "\(CLITests.repository.path)/sample-data/ct_abdomen_labels.nii.gz", toPath: inside + "/labels.nii.gz")
        let refused = try cli.run(["synth", "--case", "sample-data/ct_abdomen.nii.gz:\(inside)/labels.nii.gz", "-o", inside])
        #expect(refused.status != 0 && refused.stderr.contains("labels.nii.gz"), "\(refused.stderr)")
        let badRange = try cli.run(["synth", "--case", Self.trainingCase, "--synth-scale", "1.2,0.8", "-o", folder])
        #expect(badRange.status != 0 && badRange.stderr.contains("--synth-scale"), "\(badRange.stderr)")
        let badZoom = try cli.run(["synth", "--case", Self.trainingCase, "--synth-zoom", "0", "-o", folder])
        #expect(badZoom.status != 0 && badZoom.stderr.contains("--synth-zoom must lie above 0"), "\(badZoom.stderr)")
    }
}
