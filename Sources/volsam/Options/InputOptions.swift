import ArgumentParser
import Foundation
import Pipeline
import Volume

/// Options shared by commands that read a volume.
struct InputOptions: ParsableArguments {
    @Option(name: .long, help: "DICOM SeriesInstanceUID to read when a folder holds several series.")
    var series: String?

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Volume of a 4-D NIfTI file to read (0-based).", valueName: "n"))
    var volume: Int = 0

    func validate() throws {
        guard volume >= 0 else { throw ValidationError("--volume must be 0 or more (volumes count from 0)") }
    }

    var loader: VolumeLoader.Options { VolumeLoader.Options(volumeIndex: volume, seriesUID: series) }

    /// Reads a volume, noting on stderr what the user should know (4-D volume picked, NaN voxels replaced).
    func load(_ path: String) throws -> Volume {
        try ImageReading(loader: loader).load(path, note: note)
    }
}

/// Options choosing the modality and intensity window.
struct NormalizationOptions: ParsableArguments {
    @Option(name: .long, help: "Modality (ct or mr); detected from DICOM tags or intensities when absent.")
    var modality: Modality?

    @Option(name: .long, help: ArgumentHelp("Window as LEVEL,WIDTH in the image's units (e.g. 40,400).", valueName: "level,width"))
    var window: NumberPair?

    @Option(name: .long, help: ArgumentHelp("Clip range as LO,HI before min-max (CT default -125,275).", valueName: "lo,hi"))
    var clip: NumberPair?

    @Flag(name: .long, help: "MRI: clip to the 0.5/99.5 percentiles of non-zero voxels before min-max.")
    var percentileClip = false

    func validate() throws {
        if window != nil && clip != nil { throw ValidationError("give --window or --clip, not both") }
        if let window, window.second <= 0 { throw ValidationError("--window width must be positive") }
        if let clip, clip.first >= clip.second { throw ValidationError("--clip needs LO < HI") }
    }

    /// The choice, for the library.
    var choice: NormalizationChoice {
        let decision = modality.map { ModalityDecision(modality: $0, reason: "--modality \($0.rawValue)") }
        if let window { return NormalizationChoice(modality: decision, window: .levelWidth(window.first, window.second)) }
        if let clip { return NormalizationChoice(modality: decision, window: .clip(lo: clip.first, hi: clip.second)) }
        return NormalizationChoice(modality: decision, window: percentileClip ? .percentiles(lo: 0.5, hi: 99.5) : nil)
    }
}

/// Two finite numbers written A,B.
struct NumberPair: ExpressibleByArgument {
    let first: Double, second: Double

    init?(argument: String) {
        let parts = argument.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let a = parts[0], let b = parts[1], a.isFinite, b.isFinite else { return nil }
        (first, second) = (a, b)
    }
}

extension Modality: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument.lowercased()) }
}

/// A line on stderr that does not stop the command.
func note(_ message: String) {
    FileHandle.standardError.write(Data("note: \(message)\n".utf8))
}
