import ArgumentParser
import Pipeline

/// The ranges of exemplar synthesis (`finetune --synthesize`, `synth`), each LOW,HIGH or one number.
struct SynthesisOptions: ParsableArguments {
    @Option(name: .customLong("synth-scale"), help: ArgumentHelp("Structure scale factor range.", valueName: "low,high"))
    var scale = NumberRange(0.75...1.25)
    @Option(name: .customLong("synth-rotation"), help: ArgumentHelp("Largest structure rotation, degrees (backgrounds: half).", valueName: "deg"))
    var rotation = 20.0
    @Option(name: .customLong("synth-flip"), help: ArgumentHelp("Chance of a horizontal flip.", valueName: "p"))
    var flip = 0.5
    @Option(name: .customLong("synth-blur"), help: ArgumentHelp("Structure Gaussian blur sigma range, pixels.", valueName: "low,high"))
    var blur = NumberRange(0...1)
    @Option(name: .customLong("synth-contrast"), help: ArgumentHelp("Intensity scale range (images in [0, 1]).", valueName: "low,high"))
    var contrast = NumberRange(0.9...1.1)
    @Option(name: .customLong("synth-brightness"), parsing: .unconditional,
            help: ArgumentHelp("Intensity shift range (images in [0, 1]).", valueName: "low,high"))
    var brightness = NumberRange(-0.05...0.05)
    @Option(name: .customLong("synth-gamma"), help: ArgumentHelp("Gamma range of the whole slice (v -> v^gamma).", valueName: "low,high"))
    var gamma = NumberRange(1...1)
    @Option(name: .customLong("synth-zoom"),
            help: ArgumentHelp("Zoom range of the whole slice, image and labels (below 1: a wider field, air around).", valueName: "low,high"))
    var zoom = NumberRange(1...1)
    @Option(name: .customLong("synth-jitter"), help: ArgumentHelp("Largest structure move, fraction of the slice.", valueName: "f"))
    var jitter = 0.1
    @Option(name: .customLong("synth-background-scale"), help: ArgumentHelp("Background scale factor range.", valueName: "low,high"))
    var backgroundScale = NumberRange(0.9...1.1)

    func validate() throws {
        for (name, range) in [("--synth-scale", scale), ("--synth-background-scale", backgroundScale), ("--synth-contrast", contrast),
                                  ("--synth-gamma", gamma), ("--synth-zoom", zoom)]
        where range.range.lowerBound <= 0 || range.range.upperBound > 10 {
            throw ValidationError("\(name) must lie above 0 and at most 10, not \(range)")
        }
        guard (0...180).contains(rotation) else { throw ValidationError("--synth-rotation must be from 0 to 180 degrees, not \(rotation)") }
        guard (0...1).contains(flip) else { throw ValidationError("--synth-flip must be from 0 to 1, not \(flip)") }
        guard blur.range.lowerBound >= 0, blur.range.upperBound <= 20 else { throw ValidationError("--synth-blur must lie from 0 to 20, not \(blur)") }
        guard brightness.range.lowerBound >= -1, brightness.range.upperBound <= 1 else {
            throw ValidationError("--synth-brightness must lie from -1 to 1, not \(brightness)")
        }
        guard (0...1).contains(jitter) else { throw ValidationError("--synth-jitter must be from 0 to 1, not \(jitter)") }
    }

    var settings: SynthesisSettings {
        var s = SynthesisSettings()
        (s.scale, s.rotationDegrees, s.flipProbability, s.blurSigma) = (scale.range, rotation, flip, blur.range)
        (s.intensityScale, s.intensityShift, s.positionJitter, s.backgroundScale) = (contrast.range, brightness.range, jitter, backgroundScale.range)
        (s.gamma, s.zoom) = (gamma.range, zoom.range)
        return s
    }
}

/// A LOW,HIGH range of numbers on the command line (one number: that value alone).
struct NumberRange: ExpressibleByArgument, CustomStringConvertible, Sendable {
    let range: ClosedRange<Double>

    init(_ range: ClosedRange<Double>) { self.range = range }

    init?(argument: String) {
        let parts = argument.split(separator: ",", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard (1...2).contains(parts.count), let low = parts[0], let high = parts.last!, low.isFinite, high.isFinite, low <= high else {
            return nil
        }
        range = low...high
    }

    var description: String { range.lowerBound == range.upperBound ? "\(range.lowerBound)" : "\(range.lowerBound),\(range.upperBound)" }
    var defaultValueDescription: String { description }
}
