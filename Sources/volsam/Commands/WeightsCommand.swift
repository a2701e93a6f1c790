import ArgumentParser
import Foundation
import SAM
import Tensor

/// `volsam weights`: where the model weights are, whether they verify, what they hold.
struct Weights: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Locate, verify and summarize the LiteMedSAM weights (fetch them with `make weights`).")

    @Option(name: .long, help: "A weights file (.pth or .safetensors) instead of the cached checkpoint.")
    var weights: String?

    func run() throws {
        let path = try ModelWeights.locate(explicit: weights)
        let start = DispatchTime.now().uptimeNanoseconds
        let tensors = try CheckpointReader.read(path: path, verifyCRC: weights != nil)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let parameters = tensors.values.filter { $0.storedType != .int64 }.map(\.count).reduce(0, +)
        let digest = try ModelWeights.sha256(of: path)
        print("Weights: \(path)" + (weights == nil ? " (SHA-256 verified)" : " (zip CRC-32 of every entry verified)"))
        print("SHA-256: \(digest)" + (ModelWeights.provenanceNote(path: path, sha256: digest) == nil ? " (the published LiteMedSAM checkpoint)" : ""))
        if let remark = ModelWeights.provenanceNote(path: path, sha256: digest) { note(remark) }
        print("Tensors: \(tensors.count), parameters: \(parameters) (\(String(format: "%.2f", Double(parameters) / 1e6)) M)")
        print(String(format: "Read in %.3f s", seconds))
    }
}
