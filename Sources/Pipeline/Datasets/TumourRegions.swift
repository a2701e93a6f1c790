import Foundation

/// The BraTS evaluation regions, built from the label values of a BraTS year.
public struct TumourRegion: Sendable, Equatable {
    /// 1 whole tumour, 2 tumour core, 3 enhancing tumour (the ids VolSAM reports them under).
    public let id: Int
    public let name: String
    public let shortName: String
    /// Reference label values that make up the region.
    public let members: Set<Int>
    /// The value this region paints in the output label map (painted WT, then TC, then ET).
    public let paintValue: Int

    /// The regions for a BraTS year: 2021 labels 1 necrosis, 2 oedema, 4 enhancing; 2023 enhancing is 3.
    public static func regions(enhancingLabel: Int, names: [String]) throws -> [TumourRegion] {
        let all: [String: TumourRegion] = [
            "wt": TumourRegion(id: 1, name: "whole tumour", shortName: "WT", members: [1, 2, enhancingLabel], paintValue: 2),
            "tc": TumourRegion(id: 2, name: "tumour core", shortName: "TC", members: [1, enhancingLabel], paintValue: 1),
            "et": TumourRegion(id: 3, name: "enhancing tumour", shortName: "ET", members: [enhancingLabel], paintValue: enhancingLabel),
        ]
        var chosen: [TumourRegion] = []
        for n in names {
            guard let r = all[n.lowercased()] else { throw PromptError("unknown BraTS target '\(n)'; choose from wt, tc, et") }
            if !chosen.contains(r) { chosen.append(r) }
        }
        guard !chosen.isEmpty else { throw PromptError("no BraTS target given; choose from wt, tc, et") }
        return chosen.sorted { $0.id < $1.id }
    }

    /// What this region's paint value stands for in the BraTS label map it paints.
    public var paintName: String {
        switch shortName {
        case "WT": "oedema (whole tumour outside the core)"
        case "TC": "necrosis / non-enhancing core"
        default: "enhancing tumour"
        }
    }

    /// The value `paint` gives a voxel of reference label `value` when its regions are masks of the reference: the
    /// last of `regions` (in paint order) that holds the value, 0 when none does.
    public static func paintValue(of value: Int, in regions: [TumourRegion]) -> Int {
        regions.sorted { $0.id < $1.id }.last { $0.members.contains(value) }?.paintValue ?? 0
    }

    /// The BraTS label map of region masks (`count` voxels): WT painted first, then TC, then ET, nested as the
    /// regions are; a region without a mask paints nothing.
    public static func paint(_ regions: [TumourRegion], masks: [Int: [Bool]], count: Int) -> [UInt16] {
        var labels = [UInt16](repeating: 0, count: count)
        for region in regions.sorted(by: { $0.id < $1.id }) {
            guard let mask = masks[region.id] else { continue }
            for i in 0..<count where mask[i] { labels[i] = UInt16(region.paintValue) }
        }
        return labels
    }

    /// The region as a 0/1 map of a reference label map.
    public func binary(_ labels: [Float]) -> [Float] {
        labels.map { members.contains(Int($0)) ? 1 : 0 }
    }
}
