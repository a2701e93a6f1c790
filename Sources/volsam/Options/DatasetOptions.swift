import ArgumentParser
import Pipeline

/// How a dataset folder is read: its layout and, for BraTS, the image channel (`batch`, `finetune --dataset`).
struct DatasetOptions: ParsableArguments {
    @Option(name: .long, help: "brats2021, brats2023, synapse or msd (default: detected).")
    var layout: DatasetLayout?

    @Option(name: .long, help: "BraTS image channel: flair (default), t1, t1ce, t2 (2023 names t2f, t1n, t1c, t2w work too).")
    var channel: String = "flair"
}

extension DatasetLayout: ExpressibleByArgument {}
