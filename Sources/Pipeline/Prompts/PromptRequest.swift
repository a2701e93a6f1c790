import Foundation
import Volume

/// The prompts one image is given (what `volsam segment` takes): boxes and points in the file's voxel indices,
/// a prompts file, and a label map to derive prompts from with a strategy. Text is parsed when the request is made,
/// so malformed prompts are refused before any work; `collect` places everything on the canonical slices.
public struct PromptRequest: Sendable {
    /// A `--box` value, parsed.
    public struct VoxelBox: Sendable {
        public let text: String, label: Int, first: [Int], second: [Int]
    }
    /// A `--point` value, parsed.
    public struct VoxelPoint: Sendable {
        public let text: String, label: Int, voxel: [Int], positive: Bool
    }

    public var boxes: [VoxelBox] = []
    public var points: [VoxelPoint] = []
    /// A JSON prompts file (PromptFile).
    public var promptsFile: String?
    /// A label map on the image's grid to derive prompts from.
    public var labelMap: String?
    /// Labels of `labelMap` to prompt (nil: every label present).
    public var labels: [Int]?
    public var strategy: PromptStrategy = .box
    public var seed: UInt64 = 0
    /// Label names (id -> name) for labels that have none from their source.
    public var names: [Int: String] = [:]

    public init() {}

    /// Parses `--box` and `--point` texts (LABEL:i0,j0,k0,i1,j1,k1 and LABEL:i,j,k[,neg]).
    public mutating func add(boxTexts: [String], pointTexts: [String]) throws {
        for text in boxTexts {
            let b = try PromptText.box(text)
            boxes.append(VoxelBox(text: text, label: b.label, first: b.first, second: b.second))
        }
        for text in pointTexts {
            let p = try PromptText.point(text)
            points.append(VoxelPoint(text: text, label: p.label, voxel: p.voxel, positive: p.positive))
        }
    }

    public var isEmpty: Bool { boxes.isEmpty && points.isEmpty && promptsFile == nil && labelMap == nil }

    /// Every prompt on the canonical slices of `volume` (`grid`: the image file's grid, for the label map).
    public func collect(volume: CanonicalVolume, grid: ImageGrid, note: (String) -> Void = { _ in }) throws -> [LabelPrompts] {
        guard !isEmpty else { throw PromptError("give prompts: --box, --point, --prompts FILE.json or --prompts-from LABELMAP") }
        let placement = PromptPlacement(volume: volume)
        var manual: [Int: LabelPrompts] = [:]
        for b in boxes {
            let a = try placement.canonical(voxel: b.first, what: "--box \(b.text)")
            let c = try placement.canonical(voxel: b.second, what: "--box \(b.text)")
            PromptPlacement.add(box: a, c, to: &manual[b.label, default: LabelPrompts(label: b.label)])
        }
        for p in points {
            let q = try placement.canonical(voxel: p.voxel, what: "--point \(p.text)")
            manual[p.label, default: LabelPrompts(label: p.label)]
                .add(point: PromptPoint(x: Double(q[0]), y: Double(q[1]), positive: p.positive), slice: q[2])
        }
        var lists = [manual.values.sorted { $0.label < $1.label }]
        if let promptsFile { lists.append(try PromptFile.read(path: promptsFile, placement: placement)) }
        if let labelMap {
            let map = try grid.loadAligned(labelMap, note: note)
            do {
                lists.append(try LabelMapPrompts(labelMap: map.canonical(), labels: labels)
                    .prompts(strategy: strategy, seed: seed, names: names))
            } catch let error as PromptError { throw VolumeError(labelMap, error.message) }
        }
        var merged = LabelPrompts.merged(lists)
        for i in merged.indices where merged[i].name == nil { merged[i].name = names[merged[i].label] }
        return merged
    }
}

extension ImageGrid {
    /// A label map read and put on this image's grid (ImageGrid.align), with a note when its voxel order differed.
    public func loadAligned(_ path: String, note: (String) -> Void) throws -> Volume {
        let aligned = try align(try VolumeLoader.load(path: path), role: "image")
        if aligned.reordered { note("\(path) stores the image's voxels in another order; reordered onto the image's grid") }
        return aligned.volume
    }
}
