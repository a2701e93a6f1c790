import ArgumentParser
import Foundation
import Metrics
import Pipeline
import Volume

/// Where `volsam segment` gets its prompts: boxes and points on the command line, a JSON file, or a label map.
struct PromptOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("A box LABEL:i0,j0,k0,i1,j1,k1 (inclusive voxel indices of the input file; k0 = k1: that slice only). Repeatable.", valueName: "box"))
    var box: [String] = []

    @Option(name: .long, help: ArgumentHelp("A point LABEL:i,j,k or LABEL:i,j,k,neg (voxel indices of the input file). Repeatable.", valueName: "point"))
    var point: [String] = []

    @Option(name: .long, help: "Prompts as JSON (see the README for the schema; voxel or world RAS mm coordinates).")
    var prompts: String?

    @Option(name: .long, help: "Derive prompts from this label map (same grid as the image); also scores against it.")
    var promptsFrom: String?

    @Option(name: .long, help: "Labels to take from --prompts-from, e.g. 1,2,3 (default: every label present).")
    var labels: String?

    @Option(name: .long, help: ArgumentHelp("With --prompts-from: \(PromptStrategy.usage).", valueName: "strategy"))
    var strategy: String = "box"

    @Option(name: .long, help: "Seed of the random strategies (box-jitter, points).")
    var seed: UInt64 = 0

    @Option(name: .long, help: "JSON file mapping label ids to names, e.g. {\"1\": \"spleen\"}.")
    var labelNames: String?

    var hasAny: Bool { !box.isEmpty || !point.isEmpty || prompts != nil || promptsFrom != nil }

    /// The requested label ids of --labels.
    func labelList() throws -> [Int]? {
        guard let labels else { return nil }
        let parsed = labels.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !parsed.isEmpty, parsed.allSatisfy({ $0 != nil && $0! > 0 }) else {
            throw ValidationError("--labels takes positive integers like 1,2,3, not '\(labels)'")
        }
        return parsed.map { $0! }
    }

    /// Every prompt, placed on the canonical slices of `volume` (`image` gives the file's grid for the checks).
    func collect(volume: CanonicalVolume, image: ImageGrid) throws -> [LabelPrompts] {
        guard hasAny else { throw ValidationError("give prompts: --box, --point, --prompts FILE.json or --prompts-from LABELMAP") }
        if labels != nil && promptsFrom == nil { throw ValidationError("--labels selects labels of --prompts-from") }
        let names = try labelNames.map(Eval.readNames) ?? [:]
        let placement = PromptPlacement(volume: volume)
        var manual: [Int: LabelPrompts] = [:]
        for text in box {
            let b = try PromptText.box(text)
            let a = try placement.canonical(voxel: b.first, what: "--box \(text)")
            let c = try placement.canonical(voxel: b.second, what: "--box \(text)")
            PromptPlacement.add(box: a, c, to: &manual[b.label, default: LabelPrompts(label: b.label)])
        }
        for text in point {
            let p = try PromptText.point(text)
            let q = try placement.canonical(voxel: p.voxel, what: "--point \(text)")
            manual[p.label, default: LabelPrompts(label: p.label)]
                .add(point: PromptPoint(x: Double(q[0]), y: Double(q[1]), positive: p.positive), slice: q[2])
        }
        var lists = [manual.values.sorted { $0.label < $1.label }]
        if let prompts { lists.append(try PromptFile.read(path: prompts, placement: placement)) }
        if let promptsFrom {
            let chosen = try PromptStrategy(parsing: strategy)
            let map = try loadLabelMap(promptsFrom, image: image)
            do {
                lists.append(try LabelMapPrompts(labelMap: map.canonical(), labels: labelList())
                    .prompts(strategy: chosen, seed: seed, names: names))
            } catch let error as PromptError { throw VolumeError(promptsFrom, error.message) }
        }
        var merged = LabelPrompts.merged(lists)
        for i in merged.indices where merged[i].name == nil { merged[i].name = names[merged[i].label] }
        return merged
    }

    /// A label map on the image's grid.
    func loadLabelMap(_ path: String, image: ImageGrid) throws -> Volume {
        try image.loadLabelMap(path)
    }
}

/// The file grid of a loaded image (kept after its voxels moved into the canonical layout).
struct ImageGrid {
    let path: String
    let shape: [Int]
    let affine: Affine
    let spacing: SIMD3<Double>

    init(_ volume: Volume) {
        path = volume.source.path
        shape = volume.shape
        affine = volume.affine
        spacing = volume.spacing
    }

    /// Loads a label map and checks it lies on this grid.
    func loadLabelMap(_ labelPath: String) throws -> Volume {
        let map = try VolumeLoader.load(path: labelPath)
        guard map.shape == shape else {
            throw VolumeError(labelPath, "shape \(map.shape) differs from the image \(path) \(shape)")
        }
        let difference = map.affine.maxDifference(affine)
        guard difference <= CaseEvaluation.affineTolerance else {
            throw VolumeError(labelPath, String(format: "affine differs from the image %@ by up to %.3g mm: not the same grid",
                                                 path, difference))
        }
        return map
    }
}
