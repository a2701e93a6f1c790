import ArgumentParser
import Foundation
import Volume

/// `volsam convert`: any readable volume (DICOM series, NIfTI) to NIfTI with exact geometry.
struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert a DICOM series (or any readable volume) to NIfTI, keeping the geometry exactly.")

    @Argument(help: "Input: DICOM folder or file inside one, or a NIfTI file.")
    var input: String

    @Argument(help: "Output .nii or .nii.gz.")
    var output: String

    @OptionGroup var options: InputOptions

    func run() throws {
        try InputProtection(inputs: [.init(input, "the input")] + (VolumeLoader.dicomFolder(of: input).map { [.init($0, "the DICOM folder")] } ?? []))
            .check(outputs: [output])
        try AtomicOutput.checkWritable(output)
        let volume = try options.load(input)
        let datatype = NIfTIWriter.datatype(for: volume.voxels, source: volume.source.datatype)
        try NIfTIWriter.write(voxels: volume.voxels, shape: volume.shape, header: volume.header, datatype: datatype,
                              to: output)
        let s = volume.spacing
        print("Wrote \(output): \(volume.shape.map(String.init).joined(separator: "x")) \(datatype.name), "
              + String(format: "spacing %.4g x %.4g x %.4g mm, ", s.x, s.y, s.z) + "orientation \(volume.orientation.codes)")
    }
}
