import Foundation
import Testing

/// `volsam finetune --resume` after the process is killed mid-training gives the adapter an uninterrupted run
/// gives, byte for byte (a checkpoint of other settings is refused); `--validate` and `--epochs` write and report what they say.
@Suite(.serialized) struct FinetuneResumeCLITests {
    let cli = CLITests()
    static let folder = FinetuneCLITests.folder
    static let options = ["finetune", "--case", FinetuneCLITests.trainingCase, "--labels", "6", "--exemplars", "3", "--synthesize", "0",
                          "--steps", "24",
                          "--batch", "2", "--modality", "ct", "--quiet", "--checkpoint-minutes", "0"]

    @Test func aKilledRunResumesToTheSameAdapter() throws {
        let (whole, killed) = (Self.folder + "/whole.safetensors", Self.folder + "/killed.safetensors")
        let checkpoint = Self.folder + "/killed.checkpoint.safetensors"
        for path in [whole, killed, checkpoint] { try? FileManager.default.removeItem(atPath: path) }
        let uninterrupted = try cli.run(Self.options + ["-o", whole])
        #expect(uninterrupted.status == 0, "\(uninterrupted.stderr)")
        #expect(!FileManager.default.fileExists(atPath: Self.folder + "/whole.checkpoint.safetensors"), "a finished run removes its checkpoint")

        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLITests.binary)
        process.arguments = Self.options + ["-o", killed]
        process.currentDirectoryURL = CLITests.repository
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: checkpoint) && process.isRunning && Date() < deadline { usleep(5_000) }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try #require(FileManager.default.fileExists(atPath: checkpoint), "the run wrote a checkpoint before it was killed")
        #expect(!FileManager.default.fileExists(atPath: killed), "a killed run leaves no adapter")

        let mismatched = try cli.run(Self.options + ["--rank", "2", "--resume", "-o", killed])
        #expect(mismatched.status != 0 && mismatched.stderr.contains("was made by a run with other settings"), "\(mismatched.stderr)")
        let resumed = try cli.run(Self.options.filter { $0 != "--quiet" } + ["--resume", "-o", killed])
        #expect(resumed.status == 0 && resumed.stderr.contains("resuming from \(checkpoint) after step"), "\(resumed.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: killed)) == Data(contentsOf: URL(fileURLWithPath: whole)), "same adapter, byte for byte")
        let log = try String(contentsOfFile: Self.folder + "/killed.log.csv", encoding: .utf8).split(separator: "\n")
        #expect(log.count == 25, "every step logged once, before and after the kill")
        #expect(!FileManager.default.fileExists(atPath: checkpoint))
    }

    @Test func validationAndEpochs() throws {
        let output = Self.folder + "/validated.safetensors"
        let result = try cli.run(["finetune", "--case", FinetuneCLITests.trainingCase, "--labels", "6", "--exemplars", "3", "--synthesize", "0", "--epochs", "2",
                                  "--batch", "4", "--validate", "2", "--modality", "ct", "--json", "-o", output])
        #expect(result.status == 0, "\(result.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        // 3 exemplar slices x 8 prompts (4 boxes, 4 points) = 24 samples, 6 steps an epoch
        #expect(summary["samples"] as? Int == 24 && summary["steps"] as? Int == 12 && summary["epochs"] as? Double == 2, "\(summary)")
        let scores = try #require(summary["validation"] as? [[String: Any]])
        #expect(scores.map { $0["step"] as? Int } == [0, 6, 12], "before training and after each epoch: \(scores)")
        #expect(scores.allSatisfy { ($0["dice_box"] as? Double).map { (0...1).contains($0) } == true && $0["dice_point"] is Double })
        let csv = try String(contentsOfFile: Self.folder + "/validated.validation.csv", encoding: .utf8).split(separator: "\n")
        #expect(csv.first == "step,epoch,samples,dice_box,dice_point" && csv.count == 4, "\(csv)")
        // the plots and the page: the loss of each of the 12 steps and its running mean; Dice at 3 points for boxes and points
        let loss = try String(contentsOfFile: Self.folder + "/validated.loss.svg", encoding: .utf8)
        #expect(loss.components(separatedBy: "<polyline").count == 3 && loss.components(separatedBy: "<circle").count == 1 + 2 * 12)
        let plot = try HTMLCheck(path: Self.folder + "/validated.validation.svg")
        #expect(plot.error == nil && plot.circles == 2 * 3, "\(plot.error ?? "")")
        let page = try HTMLCheck(path: Self.folder + "/validated.report.html")
        #expect(page.error == nil && page.references.isEmpty, "self-contained: \(page.error ?? "") \(page.references)")
        #expect(page.rows == 1 + 3 + 1 + 11, "the validation table (header, 3 scores) and the settings table (header, 11 settings)")
        #expect(page.text.contains(String(format: "%.4f", scores.last?["dice_box"] as? Double ?? -1)), "the last held-out Dice")
        let refused = try cli.run(["finetune", "--case", FinetuneCLITests.trainingCase, "--steps", "5", "--epochs", "2", "-o", output])
        #expect(refused.status != 0 && refused.stderr.contains("give --steps or --epochs, not both"))
    }
}
