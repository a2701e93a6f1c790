import Foundation
import Volume

/// Exemplars the user names: a JSON array of {"case": index of the --case, "slice": canonical axial slice}, e.g.
/// [{"case": 0, "slice": 41}]; each must exist and hold a target.
public enum ExemplarList {
    public static func read(_ path: String, cases: [TrainingCase]) throws -> [Exemplar] {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw VolumeError(path, "cannot read the exemplar list (\(error.localizedDescription))")
        }
        let exemplars: [Exemplar]
        do { exemplars = try JSONDecoder().decode([Exemplar].self, from: data) } catch {
            throw VolumeError(path, "is not a JSON array of {\"case\": N, \"slice\": K}")
        }
        guard !exemplars.isEmpty else { throw VolumeError(path, "names no exemplar") }
        for e in exemplars {
            guard cases.indices.contains(e.caseIndex) else {
                throw VolumeError(path, "case \(e.caseIndex): there \(cases.count == 1 ? "is 1 case" : "are \(cases.count) cases") (0-based)")
            }
            let trainingCase = cases[e.caseIndex]
            guard (0..<trainingCase.volume.sliceCount).contains(e.slice) else {
                throw VolumeError(path, "case \(e.caseIndex) has \(trainingCase.volume.sliceCount) slices; there is no slice \(e.slice)")
            }
            guard trainingCase.targets.indices.contains(where: { trainingCase.area(target: $0, slice: e.slice) > 0 }) else {
                throw VolumeError(path, "case \(e.caseIndex) slice \(e.slice) holds none of the targets")
            }
        }
        return exemplars
    }
}
