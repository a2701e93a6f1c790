import ArgumentParser
import Foundation
import Metrics
import Volume

/// `volsam eval`: Dice, IoU, HD95, HD, ASSD, ASD and NSD of predictions against references (one pair or two folders).
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score predicted label maps against references (a pair of files, or two folders of cases).",
        discussion: """
        Conventions: medpy (default; medpy 0.5.2: pooled HD95 and ASSD, null when a mask is empty), monai (HD95 = max \
        of the directed 95th percentiles; empty GT -> Dice NaN, one empty -> inf), brats (both empty: Dice 1, HD95 0; \
        one empty: Dice 0, HD95 373.13), transunet (HD95 in voxels; pred without GT: Dice 1, HD95 0; empty pred: 0, 0). \
        Undefined values are null in JSON, empty in CSV, n/a in tables, and skipped (and counted) in means. A \
        prediction that holds the reference's voxel centres in another voxel order (axes permuted or flipped) is \
        reordered onto the reference's grid and scored, with a note; other grids are refused.
        """)

    @Argument(help: "Prediction: a label map, or a folder of them.")
    var prediction: String

    @Argument(help: "Reference: a label map, or a folder of them.")
    var reference: String

    @OptionGroup var labels: LabelsOption

    @Option(name: .long, help: "JSON file mapping label ids to names, e.g. {\"1\": \"spleen\"}.")
    var labelNames: String?

    @OptionGroup var convention: ConventionOption

    @Option(name: .long, help: "NSD tolerance in mm (voxels in the transunet convention).")
    var nsdTol: Double = 1.0

    @Flag(name: .long, help: "Also score every axial slice in 2-D (pair: per-slice rows in the output; folders: metrics_per_slice.csv).")
    var perSlice = false

    @OptionGroup var folders: FolderOptions
    @OptionGroup var report: ReportOptions

    func validate() throws {
        guard nsdTol > 0, nsdTol.isFinite else { throw ValidationError("--nsd-tol must be a positive number") }
    }

    func run() throws {
        var options = convention.options
        options.nsdTolerance = nsdTol
        options.labels = labels.labels?.ids
        if let labelNames { options.labelNames = try LabelNames.read(labelNames) }
        let predIsFolder = VolumeLoader.isFolderOfVolumeFiles(prediction), gtIsFolder = VolumeLoader.isFolderOfVolumeFiles(reference)
        if predIsFolder != gtIsFolder, VolumeLoader.isVolumeFilePath(prediction) || VolumeLoader.isVolumeFilePath(reference) {
            throw ValidationError("give two files or two folders of label maps")
        }
        if predIsFolder && gtIsFolder {
            try FolderEvalPrinter.run(prediction: prediction, reference: reference, options: options, folders: folders,
                                      report: report, perSlice: perSlice)
        } else {
            try PairEvalPrinter.run(prediction: prediction, reference: reference, options: options, json: report.json,
                                    perSlice: perSlice)
        }
    }
}

/// How folder mode matches prediction and reference files.
struct FolderOptions: ParsableArguments {
    @Option(name: .long, help: "Prefix removed from prediction file names to get the case id.")
    var predPrefix: String = ""
    @Option(name: .long, help: "Suffix (before .nii.gz, .nii, .nrrd, .mha, ...) removed from prediction names, e.g. _pred.")
    var predSuffix: String = ""
    @Option(name: .long, help: "Prefix removed from reference file names.")
    var gtPrefix: String = ""
    @Option(name: .long, help: "Suffix removed from reference names, e.g. _seg.")
    var gtSuffix: String = ""
    @Option(name: .shortAndLong, help: "Folder for metrics.csv and summary.json (default: the prediction folder).")
    var output: String?

    var matching: FolderEvaluation.Matching {
        var m = FolderEvaluation.Matching()
        (m.predictionPrefix, m.predictionSuffix, m.referencePrefix, m.referenceSuffix) = (predPrefix, predSuffix, gtPrefix, gtSuffix)
        return m
    }
}
