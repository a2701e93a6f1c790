import ArgumentParser
import Foundation
import Pipeline
import Tensor

/// The `volsam` command line.
@main
struct VolSAM: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "volsam",
        abstract: "Volumetric medical image segmentation with SAM-family models.",
        version: RunRecord.version,
        subcommands: [Segment.self, Batch.self, Info.self, Convert.self, Preview.self, Eval.self, Weights.self, Phantom.self, Bench.self]
    )

    static func main() {
        let missing = CPUFeatures.missing()
        guard missing.isEmpty else {
            let message = "volsam: this CPU lacks \(missing.joined(separator: ", ")); VolSAM is built for x86-64 with AVX2 and FMA "
                + "(Haswell, 2013, or newer)\n"
            FileHandle.standardError.write(Data(message.utf8))
            Foundation.exit(1)
        }
        main(nil)
    }
}
