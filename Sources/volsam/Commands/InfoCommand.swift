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
        let described = try VolumeDescription.describe(path: path, options: input.loader, note: note)
        print(output.json ? described.json : described.text)
    }
}
