import Foundation
import Volume

/// The prompts of one batch case: its JSON file in the prompts folder, or derived from its reference with a strategy.
public struct BatchPrompts: Sendable {
    public let strategy: PromptStrategy
    public let seed: UInt64
    /// Labels to segment (id -> name); empty = every label of each reference.
    public let labels: [Int: String]
    public let regions: [TumourRegion]?
    public let folder: String?

    /// The prompts of `item` on its canonical volume (`grid`: its image's grid, for the reference).
    public func make(_ item: DatasetCase, volume: CanonicalVolume, grid: ImageGrid, note: (String) -> Void) throws -> [LabelPrompts] {
        if let folder {
            let path = folder + "/" + item.id + ".json"
            guard FileManager.default.fileExists(atPath: path) else { throw VolumeError(path, "no prompts file for case \(item.id)") }
            do { return try PromptFile.read(path: path, placement: PromptPlacement(volume: volume)) } catch let e as PromptError {
                throw VolumeError(path, e.message)
            }
        }
        guard let referencePath = item.reference else {
            throw VolumeError(item.image, "case \(item.id) has no reference label map to derive prompts from (give --prompts-dir)")
        }
        var reference = try grid.loadAligned(referencePath, note: note)
        do {
            if let regions {
                let original = reference.voxels
                return try regions.compactMap { region in
                    reference.voxels = region.binary(original)
                    guard reference.voxels.contains(1) else { return nil }
                    var prompts = try LabelMapPrompts(labelMap: reference.canonical(), labels: [1])
                        .prompts(strategy: strategy, seed: seed)[0]
                    prompts.label = region.id
                    prompts.name = region.name
                    return prompts
                }
            }
            let map = reference.canonical()
            let present = Set(try LabelMapPrompts(labelMap: map, labels: nil).labels)
            let wanted = labels.isEmpty ? present.sorted() : labels.keys.filter(present.contains).sorted()
            guard !wanted.isEmpty else { throw PromptError("none of the labels \(labels.keys.sorted()) is in the reference") }
            return try LabelMapPrompts(labelMap: map, labels: wanted).prompts(strategy: strategy, seed: seed, names: labels)
        } catch let e as PromptError {
            throw VolumeError(referencePath, e.message)
        }
    }
}
