import ArgumentParser
import Foundation
import Volume

/// `volsam info`: geometry, datatype, intensities and modality of a volume.
struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print shape, spacing, affine, orientation, datatype, intensity range and modality of a volume.")

    @Argument(help: "A NIfTI (.nii, .nii.gz, .hdr/.img), NRRD (.nrrd, .nhdr) or MetaImage (.mha, .mhd) file, or a DICOM folder (or a file inside one).")
    var path: String

    @OptionGroup var input: InputOptions

    @OptionGroup var output: JSONOption

    func run() throws {
        let volume = try input.load(path)
        let series = volume.source.format == "DICOM" ? try DICOMSeriesReader.listSeries(path: path) : []
        let report = VolumeDescription(volume: volume, series: series)
        print(output.json ? try report.json() : report.text())
    }
}
