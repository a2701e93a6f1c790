import ArgumentParser
import Foundation

/// The `volsam` command line.
@main
struct VolSAM: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "volsam",
        abstract: "Volumetric medical image segmentation with SAM-family models.",
        version: "0.1.0",
        subcommands: [Segment.self, Batch.self, Info.self, Convert.self, Preview.self, Eval.self, Weights.self, Phantom.self, Bench.self]
    )

    static func main() {
        CPUFeatures.requireVectorISA()
        main(nil)
    }
}
