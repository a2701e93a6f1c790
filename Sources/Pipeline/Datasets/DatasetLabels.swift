import Foundation
import Volume

/// Label ids, names and modality of a dataset: the Synapse 8 organs, or an MSD/nnU-Net dataset.json.
public enum DatasetLabels {
    /// The Synapse (BTCV) 8-organ set by BTCV id.
    public static let synapseOrgans: [Int: String] = [
        1: "spleen", 2: "kidney R", 3: "kidney L", 4: "gallbladder", 6: "liver", 7: "stomach", 8: "aorta", 11: "pancreas",
    ]
    /// The papers' column order: aorta, gallbladder, kidney L, kidney R, liver, pancreas, spleen, stomach.
    public static let synapseColumns = [8, 4, 3, 2, 6, 11, 1, 7]

    /// Labels (id -> name, background left out) and modality ("CT" or other) from an MSD (v1: "labels" id -> name,
    /// "modality") or nnU-Net v2 ("labels" name -> id, "channel_names") dataset.json; nil when there is none.
    public static func msd(_ path: String) throws -> (labels: [Int: String], modality: String?)? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: try Data(contentsOf: URL(fileURLWithPath: path))) } catch {
            throw VolumeError(path, "cannot read dataset.json (\(error.localizedDescription))")
        }
        guard let object = object as? [String: Any] else {
            throw VolumeError(path, "dataset.json must be a JSON object with \"labels\" (and \"modality\" or \"channel_names\")")
        }
        var labels: [Int: String] = [:]
        for (key, value) in object["labels"] as? [String: Any] ?? [:] {
            if let id = Int(key), let name = value as? String {
                labels[id] = name
            } else if let id = (value as? NSNumber)?.intValue {
                labels[id] = key
            }
        }
        labels[0] = nil
        let channels = object["modality"] as? [String: Any] ?? object["channel_names"] as? [String: Any]
        return (labels, channels?["0"] as? String)
    }
}
