import ArgumentParser
import Foundation
import Pipeline

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
        CPUFeatures.requireVectorISA()
        main(nil)
    }
}
