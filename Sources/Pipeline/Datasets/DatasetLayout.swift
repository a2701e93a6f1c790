import Foundation
import Volume

/// One case of a dataset: its image and reference label map (when the dataset has one).
public struct DatasetCase: Sendable, Equatable {
    public let id: String
    public let image: String
    public let reference: String?
}

/// The folder layouts `volsam batch` reads.
public enum DatasetLayout: String, Sendable, CaseIterable {
    /// CASE/CASE_flair.nii.gz, _t1, _t1ce, _t2, CASE_seg.nii.gz (labels 1, 2, 4).
    case brats2021
    /// CASE/CASE-t2f.nii.gz, -t1n, -t1c, -t2w, CASE-seg.nii.gz (labels 1, 2, 3).
    case brats2023
    /// img/imgNNNN.nii.gz and label/labelNNNN.nii.gz (BTCV ids).
    case synapse
    /// imagesTr/CASE_0000.nii.gz (or CASE.nii.gz), labelsTr/CASE.nii.gz, dataset.json.
    case msd

    public var isBraTS: Bool { self == .brats2021 || self == .brats2023 }

    /// The image file suffix of a BraTS channel name (flair, t1, t1ce, t2, or the year's own names).
    public func channelSuffix(_ channel: String) throws -> String {
        let c = channel.lowercased()
        let table: [String: String] = self == .brats2021
            ? ["flair": "_flair", "t1": "_t1", "t1ce": "_t1ce", "t1c": "_t1ce", "t2": "_t2"]
            : ["flair": "-t2f", "t2f": "-t2f", "t1": "-t1n", "t1n": "-t1n", "t1ce": "-t1c", "t1c": "-t1c", "t2": "-t2w", "t2w": "-t2w"]
        guard let suffix = table[c] else {
            throw PromptError("unknown channel '\(channel)' for \(rawValue); choose from \(table.keys.sorted().joined(separator: ", "))")
        }
        return suffix
    }

    /// Guesses the layout from the folder's contents.
    public static func detect(_ root: String) throws -> DatasetLayout {
        let fm = FileManager.default
        let names = Set((try? fm.contentsOfDirectory(atPath: root)) ?? [])
        if names.contains("imagesTr") { return .msd }
        if names.contains("img") && names.contains("label") { return .synapse }
        for name in names.sorted() {
            let inner = Set((try? fm.contentsOfDirectory(atPath: root + "/" + name)) ?? [])
            if inner.contains(name + "_seg.nii.gz") || inner.contains(name + "_flair.nii.gz") { return .brats2021 }
            if inner.contains(name + "-seg.nii.gz") || inner.contains(name + "-t2f.nii.gz") { return .brats2023 }
        }
        throw VolumeError(root, "cannot tell the dataset layout (expected BraTS case folders, img/ + label/, or imagesTr/); "
                          + "give --layout \(allCases.map(\.rawValue).joined(separator: "|"))")
    }

    /// The cases, sorted by id. `channel` picks the BraTS image.
    public func cases(in root: String, channel: String = "flair") throws -> [DatasetCase] {
        let fm = FileManager.default
        func list(_ folder: String) throws -> [String] {
            do { return try fm.contentsOfDirectory(atPath: folder).sorted() } catch {
                throw VolumeError(folder, "cannot list the folder (\(error.localizedDescription))")
            }
        }
        func existing(_ path: String) -> String? { fm.fileExists(atPath: path) ? path : nil }
        var found: [DatasetCase] = []
        switch self {
        case .brats2021, .brats2023:
            let suffix = try channelSuffix(channel), seg = self == .brats2021 ? "_seg" : "-seg"
            for name in try list(root) {
                let folder = root + "/" + name
                guard let image = existing("\(folder)/\(name)\(suffix).nii.gz") ?? existing("\(folder)/\(name)\(suffix).nii") else { continue }
                found.append(DatasetCase(id: name, image: image,
                                         reference: existing("\(folder)/\(name)\(seg).nii.gz") ?? existing("\(folder)/\(name)\(seg).nii")))
            }
        case .synapse:
            for name in try list(root + "/img") where name.hasPrefix("img") && Self.isNIfTI(name) {
                let number = Self.stem(name).dropFirst(3)
                let ext = name.hasSuffix(".nii.gz") ? ".nii.gz" : ".nii"
                found.append(DatasetCase(id: String(Self.stem(name)), image: root + "/img/" + name,
                                         reference: existing("\(root)/label/label\(number)\(ext)")))
            }
        case .msd:
            var seen = Set<String>()
            for name in try list(root + "/imagesTr") where Self.isNIfTI(name) && !name.hasPrefix(".") {
                var id = Self.stem(name)
                if id.hasSuffix("_0000") { id.removeLast(5) } else if id.range(of: #"_\d{4}$"#, options: .regularExpression) != nil { continue }
                guard seen.insert(id).inserted else { continue }
                found.append(DatasetCase(id: id, image: root + "/imagesTr/" + name,
                                         reference: existing("\(root)/labelsTr/\(id).nii.gz") ?? existing("\(root)/labelsTr/\(id).nii")))
            }
        }
        if found.isEmpty { throw VolumeError(root, "no \(rawValue) cases found") }
        return found.sorted { $0.id < $1.id }
    }

    /// Label maps of the reference folder (Synapse label/, MSD labelsTr/) that no case uses: their image is missing.
    public func referencesWithoutImages(in root: String, cases: [DatasetCase]) -> [String] {
        let folder: String
        switch self {
        case .synapse: folder = root + "/label"
        case .msd: folder = root + "/labelsTr"
        case .brats2021, .brats2023: return []
        }
        let used = Set(cases.compactMap(\.reference))
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { Self.isNIfTI($0) && !$0.hasPrefix(".") && !used.contains(folder + "/" + $0) }.sorted()
    }

    static func isNIfTI(_ name: String) -> Bool { name.hasSuffix(".nii.gz") || name.hasSuffix(".nii") }
    static func stem(_ name: String) -> String {
        name.hasSuffix(".nii.gz") ? String(name.dropLast(7)) : name.hasSuffix(".nii") ? String(name.dropLast(4)) : name
    }
}
