import Foundation
import Volume

/// Label names as users give them: a JSON object mapping label ids to names, e.g. {"1": "spleen"}, or to objects with
/// a name (the label-map JSON VolSAM writes: {"1": {"name": "spleen", "color": "#e6194b"}}).
public enum LabelNames {
    public static func read(_ path: String) throws -> [Int: String] {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw VolumeError(path, "cannot read the label names (\(error.localizedDescription))")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw VolumeError(path, "label names must be a JSON object like {\"1\": \"spleen\"} or {\"1\": {\"name\": \"spleen\"}}")
        }
        var names: [Int: String] = [:]
        for (key, value) in object {
            guard let label = Int(key), let name = value as? String ?? (value as? [String: Any])?["name"] as? String else {
                throw VolumeError(path, "entry \"\(key)\" is not a label id mapped to a name")
            }
            names[label] = name
        }
        return names
    }
}
