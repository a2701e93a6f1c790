import Foundation
import Imaging
import Tensor

/// Cheap Lunch's exemplar-guided synthesis: each labelled structure of an exemplar slice is cut out, blurred,
/// scaled, rotated, flipped and shifted in intensity, and pasted near its own position onto a background slice of
/// the training volumes where no target is present (itself flipped, turned, scaled and shifted in intensity; air,
/// pixels at 0, stays 0); a placement is redrawn (up to 8 times) until 90 % of the structure lies on tissue;
/// structures are pasted in random order, later ones occluding earlier ones, and the masks follow; the whole slice
/// then takes a gamma and a zoom about its centre (1 unless asked). A background is
/// a target-free slice with at least half the exemplar's tissue (pixels above 0.02); when a case has none, the
/// exemplar slice itself is the background, its own structures kept and labelled. Slice i depends only on the seed
/// and i.
public struct ExemplarSynthesizer: Sendable {
    public let cases: [TrainingCase]
    public let exemplars: [Exemplar]
    public let settings: SynthesisSettings
    public let seed: UInt64
    /// Target-free slices, per case, with their tissue fraction.
    let backgrounds: [[(slice: Int, tissue: Double)]]

    public init(cases: [TrainingCase], exemplars: [Exemplar], settings: SynthesisSettings, seed: UInt64) {
        (self.cases, self.exemplars, self.settings, self.seed) = (cases, exemplars, settings, seed)
        backgrounds = cases.map { trainingCase in
            (0..<trainingCase.volume.sliceCount).compactMap { k in
                guard trainingCase.targets.indices.allSatisfy({ trainingCase.area(target: $0, slice: k) == 0 }) else { return nil }
                return (k, Self.tissue(trainingCase.volume.slice(k)))
            }
        }
    }

    /// Pixels above this level are tissue (images normalized to [0, 1]).
    static let tissueLevel: Float = 0.02
    /// A structure's placement is drawn again (up to `placementTries` times, keeping the best) until this share of
    /// it lies on the background's tissue, so structures do not land in the air around the body.
    static let tissueShare = 0.9, placementTries = 8

    static func tissue(_ slice: ImageSlice) -> Double {
        Double(slice.pixels.reduce(0) { $0 + ($1 > tissueLevel ? 1 : 0) }) / Double(slice.pixels.count)
    }

    /// Whether any exemplar has to fall back to its own slice as background.
    public var fallbackCases: [Int] {
        Set(exemplars.map(\.caseIndex)).filter { backgrounds[$0].isEmpty }.sorted()
    }

    /// Synthesized slice `index` (exemplars taken in turn).
    public func slice(_ index: Int) -> TrainingSlice {
        var random = SeededRandom(seed: seed, label: 1, slice: index)
        let exemplar = exemplars[index % exemplars.count]
        let source = TrainingSlice(exemplar, cases: cases)
        let (w, h) = (source.image.width, source.image.height)
        func draw(_ range: ClosedRange<Double>) -> Double { range.lowerBound + random.uniform() * (range.upperBound - range.lowerBound) }
        func intensity(_ image: ImageSlice) -> ImageSlice {
            let (a, b) = (Float(draw(settings.intensityScale)), Float(draw(settings.intensityShift)))
            return ImageSlice(width: image.width, height: image.height, pixels: image.pixels.map { $0 > 0 ? min(1, max(0, $0 * a + b)) : 0 })
        }

        // the background, transformed about the slice centre
        let tissue = Self.tissue(source.image)
        let choices = backgrounds[exemplar.caseIndex].filter { $0.tissue >= 0.5 * tissue }
        let pool = choices.isEmpty ? backgrounds[exemplar.caseIndex] : choices
        let centre = (x: Double(w - 1) / 2, y: Double(h - 1) / 2)
        let backgroundMove = SliceTransform(scale: draw(settings.backgroundScale),
                                            rotation: draw(-0.5...0.5) * settings.rotationDegrees * .pi / 180,
                                            flip: random.uniform() < settings.flipProbability, center: centre, target: centre)
        var image: ImageSlice, masks: [[Bool]], origin: String
        if let background = pool.isEmpty ? nil : pool[random.below(pool.count)] {
            image = SliceWarp.image(cases[exemplar.caseIndex].volume.slice(background.slice), backgroundMove, width: w, height: h, fill: 0)
            masks = source.masks.map { _ in [Bool](repeating: false, count: w * h) }
            origin = "synthesized from \(source.origin) on case \(exemplar.caseIndex) slice \(background.slice)"
        } else {
            image = SliceWarp.image(source.image, backgroundMove, width: w, height: h, fill: 0)
            masks = source.masks.map { SliceWarp.mask($0, width: w, height: h, backgroundMove, width: w, height: h) }
            origin = "synthesized from \(source.origin) on itself"
        }
        image = intensity(image)

        // each structure, in random order
        var order = Array(source.masks.indices.filter { source.area($0) > 0 })
        order.shuffle(using: &random)
        for t in order {
            let structure = intensity(GaussianBlur.blur(source.image, sigma: draw(settings.blurSigma)))
            let centroid = Self.centroid(source.masks[t], width: w)
            var best: (move: SliceTransform, mask: [Bool], onTissue: Double)?
            for _ in 0..<Self.placementTries where (best?.onTissue ?? 0) < Self.tissueShare {
                let move = SliceTransform(scale: draw(settings.scale), rotation: draw(-1...1) * settings.rotationDegrees * .pi / 180,
                                          flip: random.uniform() < settings.flipProbability, center: centroid,
                                          target: (centroid.x + draw(-1...1) * settings.positionJitter * Double(w),
                                                   centroid.y + draw(-1...1) * settings.positionJitter * Double(h)))
                let pasted = SliceWarp.mask(source.masks[t], width: w, height: h, move, width: w, height: h)
                var (inside, total) = (0, 0)
                for p in pasted.indices where pasted[p] { total += 1; inside += image.pixels[p] > Self.tissueLevel ? 1 : 0 }
                let share = Double(inside) / Double(max(1, total))
                if best == nil || share > best!.onTissue { best = (move, pasted, share) }
            }
            guard let (move, pasted, _) = best else { continue }
            let pixels = SliceWarp.image(structure, move, width: w, height: h, fill: 0).pixels
            for p in pasted.indices where pasted[p] {
                image.pixels[p] = pixels[p]
                for u in masks.indices { masks[u][p] = u == t }
            }
        }
        if settings.gamma != 1...1 {
            let gamma = Float(draw(settings.gamma))
            image.pixels = image.pixels.map { $0 > 0 ? pow($0, gamma) : 0 }
        }
        if settings.zoom != 1...1 {
            let zoom = SliceTransform(scale: draw(settings.zoom), center: centre, target: centre)
            image = SliceWarp.image(image, zoom, width: w, height: h, fill: 0)
            masks = masks.map { SliceWarp.mask($0, width: w, height: h, zoom, width: w, height: h) }
        }
        return TrainingSlice(image: image, masks: masks, origin: origin)
    }

    static func centroid(_ mask: [Bool], width: Int) -> (x: Double, y: Double) {
        var (sx, sy, n) = (0.0, 0.0, 0.0)
        for p in mask.indices where mask[p] { sx += Double(p % width); sy += Double(p / width); n += 1 }
        return n > 0 ? (sx / n, sy / n) : (0, 0)
    }
}
