import Foundation
import Testing
@testable import Imaging
@testable import Pipeline
@testable import Volume

/// Exemplar synthesis on a small made-up MR case (a disc of tissue, two bright squares labelled 1 and 2 on some
/// slices): reproducible, masks following the pasted pixels, backgrounds free of targets, the identity settings
/// giving back the exemplar on its background, the fallback, and the exemplar list's refusals.
@Suite struct SynthesisTests {
    static let folder: String = {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("volsam-synthesis-\(getpid())").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: SynthesisTests.folder) }
        return path
    }()

    /// 48 x 48 x 10: tissue 0.5 in a disc of radius 20, label 1 (value 1.0) on slices 3-6, label 2 (0.8) on 4-6;
    /// `everywhere` puts label 1 on every slice.
    static func trainingCase(everywhere: Bool = false, labels: [Int]? = [1, 2]) throws -> TrainingCase {
        let (w, h, d) = (48, 48, 10)
        var image = [Float](repeating: 0, count: w * h * d), map = image
        for k in 0..<d {
            for y in 0..<h {
                for x in 0..<w {
                    let p = x + w * (y + h * k)
                    if (x - 24) * (x - 24) + (y - 24) * (y - 24) < 400 { image[p] = 0.5 }
                    if (everywhere || (3...6).contains(k)), (14..<22).contains(x), (16..<24).contains(y) { (image[p], map[p]) = (1, 1) }
                    if (4...6).contains(k), (26..<34).contains(x), (24..<30).contains(y) { (image[p], map[p]) = (0.8, 2) }
                }
            }
        }
        let lps = Affine(rows: [[-1, 0, 0, 0], [0, -1, 0, 0], [0, 0, 2, 0], [0, 0, 0, 1]])
        let name = "\(folder)/case\(everywhere ? "-everywhere" : "")"
        try NIfTIWriter.write(voxels: image, shape: [w, h, d], header: .from(affine: lps), datatype: .float32, to: name + ".nii.gz")
        try NIfTIWriter.write(voxels: map, shape: [w, h, d], header: .from(affine: lps), datatype: .uint8, to: name + "-labels.nii.gz",
                              isLabelMap: true)
        let reading = ImageReading(normalization: NormalizationChoice(modality: ModalityDecision(modality: .mr, reason: "test")))
        return try TrainingCase(image: name + ".nii.gz", labelMap: name + "-labels.nii.gz", reading: reading, labels: labels, union: false,
                                note: { _ in })
    }

    /// Settings that draw nothing: no move, turn, flip, blur or intensity change.
    static var still: SynthesisSettings {
        var settings = SynthesisSettings()
        (settings.scale, settings.rotationDegrees, settings.flipProbability, settings.blurSigma) = (1...1, 0, 0, 0...0)
        (settings.intensityScale, settings.intensityShift, settings.positionJitter, settings.backgroundScale) = (1...1, 0...0, 0, 1...1)
        return settings
    }

    static func slices(_ origin: String) -> [Int] {
        origin.split(separator: " ").enumerated().compactMap { $0.offset > 0 && origin.split(separator: " ")[$0.offset - 1] == "slice" ? Int($0.element) : nil }
    }

    @Test func synthesisIsReproducibleAndTheMasksFollowThePastedPixels() throws {
        let trainingCase = try Self.trainingCase()
        let exemplars = [Exemplar(caseIndex: 0, slice: 4), Exemplar(caseIndex: 0, slice: 5)]
        let synthesizer = ExemplarSynthesizer(cases: [trainingCase], exemplars: exemplars, settings: SynthesisSettings(), seed: 7)
        #expect(synthesizer.fallbackCases.isEmpty)
        let first = synthesizer.slice(0)
        #expect(first.image.pixels == synthesizer.slice(0).image.pixels && first.masks == synthesizer.slice(0).masks, "slice i depends on seed and i")
        #expect(first.image.pixels != synthesizer.slice(2).image.pixels)
        let other = ExemplarSynthesizer(cases: [trainingCase], exemplars: exemplars, settings: SynthesisSettings(), seed: 8).slice(0)
        #expect(other.image.pixels != first.image.pixels, "another seed, another slice")
        for i in 0..<24 {
            let slice = synthesizer.slice(i)
            let background = Self.slices(slice.origin).last!
            #expect(!(3...6).contains(background), "\(slice.origin): the background holds no target")
            for p in slice.image.pixels.indices { #expect(!(slice.masks[0][p] && slice.masks[1][p]), "one label per pixel") }
            for t in 0..<2 {
                let area = slice.area(t)
                let source = t == 0 ? 64 : 48
                #expect(area > 0 && Double(area) <= 1.6 * Double(source), "\(slice.origin) target \(t): \(area) pixels from \(source)")
                // the structures are brighter than the tissue (1.0 and 0.8 against 0.5, each scaled by at most 10 % and shifted by 0.05)
                let inside = slice.image.pixels.indices.filter { slice.masks[t][$0] }.map { slice.image.pixels[$0] }
                #expect(inside.reduce(0, +) / Float(inside.count) > 0.6, "\(slice.origin) target \(t)")
            }
        }
    }

    /// With gamma 2 (and nothing else drawn) every pixel is the unchanged one squared.
    @Test(arguments: [1.0, 2.0]) func withNothingDrawnTheExemplarLandsOnItsBackgroundUnchanged(gamma: Double) throws {
        let trainingCase = try Self.trainingCase()
        var still = Self.still
        still.gamma = gamma...gamma
        let synthesizer = ExemplarSynthesizer(cases: [trainingCase], exemplars: [Exemplar(caseIndex: 0, slice: 5)], settings: still, seed: 1)
        let exemplar = TrainingSlice(Exemplar(caseIndex: 0, slice: 5), cases: [trainingCase])
        for i in 0..<4 {
            let slice = synthesizer.slice(i)
            #expect(slice.masks == exemplar.masks, "\(slice.origin)")
            let background = trainingCase.volume.slice(Self.slices(slice.origin).last!)
            for p in slice.image.pixels.indices {
                let unchanged = exemplar.masks.contains { $0[p] } ? exemplar.image.pixels[p] : background.pixels[p]
                #expect(abs(slice.image.pixels[p] - pow(unchanged, Float(gamma))) < 1e-6, "\(slice.origin) pixel \(p)")
            }
        }
    }

    /// Zoom 0.5 with nothing else drawn: the disc of tissue (radius 20) and label 1's 8 x 8 square shrink about the
    /// slice centre together, the square to about 4 x 4 around its moved centre, the border air.
    @Test func zoomShrinksImageAndMasksTogether() throws {
        let trainingCase = try Self.trainingCase()
        var still = Self.still
        still.zoom = 0.5...0.5
        let slice = ExemplarSynthesizer(cases: [trainingCase], exemplars: [Exemplar(caseIndex: 0, slice: 5)], settings: still, seed: 2).slice(0)
        let w = slice.image.width
        let square = slice.masks[0].indices.filter { slice.masks[0][$0] }
        #expect((9...25).contains(square.count), "\(square.count) pixels")
        // the square's centre (17.5, 19.5) moves to 23.5 + (17.5 - 23.5) / 2 = 20.5 and 23.5 + (19.5 - 23.5) / 2 = 21.5
        #expect(square.allSatisfy { abs(Double($0 % w) - 20.5) <= 2.5 && abs(Double($0 / w) - 21.5) <= 2.5 }, "\(square)")
        #expect(slice.image.pixels[21 * w + 20] == 1, "the square's pixels come along")
        #expect(slice.image.pixels[23 * w + 38] == 0 && slice.image.pixels[23 * w + 30] == 0.5, "tissue ends at radius 10")
    }

    @Test func aCaseWithoutAFreeSliceIsItsOwnBackground() throws {
        let trainingCase = try Self.trainingCase(everywhere: true, labels: [1])
        let synthesizer = ExemplarSynthesizer(cases: [trainingCase], exemplars: [Exemplar(caseIndex: 0, slice: 0)], settings: SynthesisSettings(),
                                              seed: 3)
        #expect(synthesizer.fallbackCases == [0])
        let slice = synthesizer.slice(0)
        #expect(slice.origin.hasSuffix("on itself") && slice.area(0) > 0, "\(slice.origin)")
    }

    @Test func theExemplarListIsCheckedAgainstTheCases() throws {
        let cases = [try Self.trainingCase()]
        let path = Self.folder + "/exemplars.json"
        let refusals: [(String, String)] = [
            ("{\"case\": 0}", "is not a JSON array of {\"case\": N, \"slice\": K}"),
            ("[]", "names no exemplar"),
            ("[{\"case\": 1, \"slice\": 4}]", "case 1: there is 1 case (0-based)"),
            ("[{\"case\": 0, \"slice\": 10}]", "case 0 has 10 slices; there is no slice 10"),
            ("[{\"case\": 0, \"slice\": 0}]", "case 0 slice 0 holds none of the targets"),
        ]
        for (text, message) in refusals {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            #expect(throws: VolumeError(path, message), "\(text)") { try ExemplarList.read(path, cases: cases) }
        }
        try Data("[{\"case\": 0, \"slice\": 6}, {\"case\": 0, \"slice\": 3}]".utf8).write(to: URL(fileURLWithPath: path))
        #expect(try ExemplarList.read(path, cases: cases) == [Exemplar(caseIndex: 0, slice: 6), Exemplar(caseIndex: 0, slice: 3)])
        let missing = #expect(throws: VolumeError.self) { try ExemplarList.read(Self.folder + "/none.json", cases: cases) }
        #expect(missing?.problem.hasPrefix("cannot read the exemplar list") == true, "\(String(describing: missing))")
    }
}
