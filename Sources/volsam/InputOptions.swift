import ArgumentParser
import Foundation
import Volume

/// Options shared by commands that read a volume.
struct InputOptions: ParsableArguments {
    @Option(name: .long, help: "DICOM SeriesInstanceUID to read when a folder holds several series.")
    var series: String?

    @Option(name: .long, help: "Volume of a 4-D NIfTI file to read (0-based).")
    var volume: Int = 0

    /// Reads a volume, noting on stderr what the user should know (4-D volume picked, NaN voxels replaced).
    func load(_ path: String) throws -> Volume {
        let loaded = try VolumeLoader.load(path: path, options: .init(volumeIndex: volume, seriesUID: series))
        if loaded.source.volumeCount > 1 {
            note("\(path) holds \(loaded.source.volumeCount) volumes; using volume \(loaded.source.volumeIndex) (choose with --volume N)")
        }
        if loaded.source.nonFiniteCount > 0 {
            note("\(path) has \(loaded.source.nonFiniteCount) NaN/inf voxels; they are treated as the minimum")
        }
        return loaded
    }
}

/// A line on stderr that does not stop the command.
func note(_ message: String) {
    FileHandle.standardError.write(Data("note: \(message)\n".utf8))
}

/// Options choosing the modality and intensity window.
struct NormalizationOptions: ParsableArguments {
    @Option(name: .long, help: "Modality (ct or mr); detected from DICOM tags or intensities when absent.")
    var modality: String?

    @Option(name: .long, help: "Window as LEVEL,WIDTH in the image's units (e.g. 40,400).")
    var window: String?

    @Option(name: .long, help: "Clip range as LO,HI before min-max (CT default -125,275).")
    var clip: String?

    @Flag(name: .long, help: "MRI: clip to the 0.5/99.5 percentiles of non-zero voxels before min-max.")
    var percentileClip = false

    func modalityDecision(for volume: Volume) throws -> ModalityDecision {
        guard let modality else { return Normalization.detectModality(volume) }
        guard let chosen = Modality(rawValue: modality.lowercased()) else {
            throw ValidationError("--modality must be ct or mr, not '\(modality)'")
        }
        return ModalityDecision(modality: chosen, reason: "--modality \(chosen.rawValue)")
    }

    func intensityWindow(for modality: Modality) throws -> IntensityWindow {
        if window != nil && clip != nil { throw ValidationError("give --window or --clip, not both") }
        if let window {
            let v = try pair(window, "--window")
            guard v.1 > 0 else { throw ValidationError("--window width must be positive") }
            return .levelWidth(v.0, v.1)
        }
        if let clip {
            let v = try pair(clip, "--clip")
            guard v.0 < v.1 else { throw ValidationError("--clip needs LO < HI") }
            return .clip(lo: v.0, hi: v.1)
        }
        if percentileClip { return .percentiles(lo: 0.5, hi: 99.5) }
        return .standard(for: modality)
    }

    private func pair(_ text: String, _ name: String) throws -> (Double, Double) {
        let parts = text.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let a = parts[0], let b = parts[1], a.isFinite, b.isFinite else {
            throw ValidationError("\(name) takes two numbers A,B, not '\(text)'")
        }
        return (a, b)
    }
}
