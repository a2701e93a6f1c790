import ArgumentParser
import Foundation
import Pipeline

/// `volsam phantom`: writes the deterministic synthetic sample scans.
struct Phantom: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the synthetic sample scans (CT abdomen with BTCV organ labels, FLAIR brain with BraTS labels).")

    @Argument(help: "Output folder (created if missing).")
    var folder: String = "sample-data"

    func run() throws {
        for path in try PhantomWriter.write(to: folder) { print("Wrote \(path)") }
    }
}
