import ArgumentParser
import Foundation
import SAM
import Pipeline
import Tensor

/// The `volsam` command line.
@main
struct VolSAM: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "volsam",
        abstract: "Volumetric medical image segmentation with SAM-family models.",
        version: RunRecord.version,
        subcommands: [Segment.self, Batch.self, Finetune.self, Synth.self, Info.self, Convert.self, Preview.self, Eval.self, Weights.self, Phantom.self, Bench.self]
    )

    static func main() {
        if let message = CPUFeatures.unsupportedMessage {
            FileHandle.standardError.write(Data("volsam: \(message)\n".utf8))
            Foundation.exit(1)
        }
        let environment = ProcessInfo.processInfo.environment
        if let core = BLASCore.correction(running: BLASCore.name, cpu: CPUFeatures.level, environment: environment) {
            // OpenBLAS picks its kernels when it loads: start again with the core this CPU deserves.
            setenv(BLASCore.replacedVariable, BLASCore.name, 1)
            setenv("OPENBLAS_CORETYPE", core, 1)
            execv("/proc/self/exe", CommandLine.unsafeArgv)
            FileHandle.standardError.write(Data("note: could not restart with OpenBLAS's \(core) kernels; running at \(BLASCore.name) speed\n".utf8))
        }
        KernelSelection.install()  // before anything reports the machine
        main(nil)
    }
}
