import Foundation
import Volume

/// Prompts from a JSON file:
/// `{"prompts": [{"label": 6, "name": "liver", "boxes": [{"voxel": [i0,j0,k0,i1,j1,k1]} | {"world": [x0,y0,z0,x1,y1,z1]}],
///   "points": [{"voxel": [i,j,k], "positive": true} | {"world": [x,y,z], "positive": false}]}]}`.
/// Voxel indices are in the file's own grid (0-based, inclusive); world coordinates are RAS mm. A bare array of
/// label entries is accepted too.
public enum PromptFile {
    public static func read(path: String, placement: PromptPlacement) throws -> [LabelPrompts] {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw PromptError("\(path): cannot read the prompts file (\(error.localizedDescription))")
        }
        let root: Any
        do { root = try JSONSerialization.jsonObject(with: data) } catch {
            throw PromptError("\(path): not valid JSON (\(error.localizedDescription))")
        }
        guard let entries = (root as? [String: Any])?["prompts"] as? [Any] ?? root as? [Any] else {
            throw PromptError("\(path): expected {\"prompts\": [...]} or an array of label entries")
        }
        var byLabel: [Int: LabelPrompts] = [:]
        for (n, item) in entries.enumerated() {
            let context = "\(path): prompts[\(n)]"
            guard let entry = item as? [String: Any], let labelValue = entry["label"] as? Int else {
                throw PromptError("\(context): needs an integer \"label\"")
            }
            let unknown = Set(entry.keys).subtracting(["label", "name", "boxes", "points"]).sorted()
            if !unknown.isEmpty {
                throw PromptError("\(context): unknown key\(unknown.count > 1 ? "s" : "") \(unknown.map { "\"\($0)\"" }.joined(separator: ", ")) "
                                  + "(an entry takes \"label\", \"name\", \"boxes\" and \"points\")")
            }
            let label = try PromptText.label(labelValue, context)
            var prompts = byLabel[label] ?? LabelPrompts(label: label)
            if let name = entry["name"] as? String { prompts.name = name }
            for (b, box) in (entry["boxes"] as? [Any] ?? []).enumerated() {
                let (values, world) = try coordinates(box, count: 6, "\(context).boxes[\(b)]")
                let a: [Int], c: [Int]
                if world {
                    a = try placement.canonical(world: Array(values[0..<3]), what: "\(context).boxes[\(b)]")
                    c = try placement.canonical(world: Array(values[3..<6]), what: "\(context).boxes[\(b)]")
                } else {
                    a = try placement.canonical(voxel: values[0..<3].map { Int($0) }, what: "\(context).boxes[\(b)]")
                    c = try placement.canonical(voxel: values[3..<6].map { Int($0) }, what: "\(context).boxes[\(b)]")
                }
                PromptPlacement.add(box: a, c, to: &prompts)
            }
            for (p, point) in (entry["points"] as? [Any] ?? []).enumerated() {
                let what = "\(context).points[\(p)]"
                let (values, world) = try coordinates(point, count: 3, what)
                let q = world ? try placement.canonical(world: values, what: what)
                    : try placement.canonical(voxel: values.map { Int($0) }, what: what)
                let positive = (point as? [String: Any])?["positive"] as? Bool ?? true
                prompts.add(point: PromptPoint(x: Double(q[0]), y: Double(q[1]), positive: positive), slice: q[2])
            }
            if prompts.slices.isEmpty { throw PromptError("\(context): label \(label) has no boxes or points") }
            byLabel[label] = prompts
        }
        if byLabel.isEmpty { throw PromptError("\(path): no prompts") }
        return byLabel.keys.sorted().map { byLabel[$0]! }
    }

    /// The numbers of a {"voxel": [...]} or {"world": [...]} entry (a bare array means voxel), and whether it is world.
    private static func coordinates(_ item: Any, count: Int, _ what: String) throws -> ([Double], Bool) {
        var raw: Any? = item
        var world = false
        if let object = item as? [String: Any] {
            if let w = object["world"] { (raw, world) = (w, true) } else { raw = object["voxel"] }
        }
        guard let numbers = raw as? [Any], numbers.count == count,
              case let values = numbers.compactMap({ ($0 as? NSNumber)?.doubleValue }), values.count == count else {
            throw PromptError("\(what): needs {\"voxel\": [\(count) integers]} or {\"world\": [\(count) numbers]}")
        }
        if !world, values.contains(where: { $0 != $0.rounded() }) {
            throw PromptError("\(what): voxel indices must be integers (use \"world\" for mm)")
        }
        return (values, world)
    }
}
