import Foundation
import Volume

/// Places prompts given in the input file's own voxel grid (or in world RAS mm) on the canonical slices.
public struct PromptPlacement: Sendable {
    let reorientation: Reorientation
    let sourceShape: [Int]
    let canonicalShape: [Int]
    let worldToCanonical: Affine

    public init(volume: CanonicalVolume) {
        reorientation = volume.reorientation
        sourceShape = volume.sourceShape
        canonicalShape = volume.shape
        worldToCanonical = volume.affine.inverse ?? .identity
    }

    /// A file voxel index to the canonical grid; outside the volume is an error naming `what`.
    public func canonical(voxel p: [Int], what: String) throws -> [Int] {
        guard p.count == 3 else { throw PromptError("\(what): needs 3 voxel indices i,j,k") }
        for a in 0..<3 where !(0..<sourceShape[a]).contains(p[a]) {
            throw PromptError("\(what): voxel (\(p.map(String.init).joined(separator: ", "))) is outside the volume "
                              + "(\(sourceShape.map(String.init).joined(separator: " x ")); indices start at 0)")
        }
        return reorientation.canonicalIndex(ofSource: p)
    }

    /// A world point (RAS mm, as NIfTI and nibabel; 3D Slicer shows RAS too) to the nearest canonical voxel.
    public func canonical(world: [Double], what: String) throws -> [Int] {
        guard world.count == 3, world.allSatisfy(\.isFinite) else { throw PromptError("\(what): needs 3 finite mm coordinates") }
        let v = worldToCanonical.apply(SIMD3(world[0], world[1], world[2]))
        let q = [Int(v.x.rounded()), Int(v.y.rounded()), Int(v.z.rounded())]
        for a in 0..<3 where !(0..<canonicalShape[a]).contains(q[a]) {
            throw PromptError("\(what): point (\(world.map { String(format: "%.1f", $0) }.joined(separator: ", "))) mm "
                              + "is outside the volume")
        }
        return q
    }

    /// Adds a box given by two canonical corners: one slice -> a 2-D box on it; several -> a propagation from the
    /// reference's key slice over that range.
    public static func add(box a: [Int], _ b: [Int], to prompts: inout LabelPrompts) {
        let lo = (0..<3).map { min(a[$0], b[$0]) }, hi = (0..<3).map { max(a[$0], b[$0]) }
        let box = PromptBox(x0: Double(lo[0]), y0: Double(lo[1]), x1: Double(hi[0]), y1: Double(hi[1]))
        if lo[2] == hi[2] {
            prompts.add(box: box, slice: lo[2])
        } else {
            let range = lo[2]...hi[2]
            prompts.propagations.append(PropagationPrompt(keySlice: PropagationPrompt.keySlice(of: range), box: box, slices: range))
        }
    }
}

/// The command-line prompt syntax: `LABEL:i0,j0,k0,i1,j1,k1` boxes and `LABEL:i,j,k[,neg]` points.
public enum PromptText {
    /// Parses a `--box` value.
    public static func box(_ text: String) throws -> (label: Int, first: [Int], second: [Int]) {
        let (label, values) = try split(text, option: "--box", example: "1:40,50,10,80,90,20")
        guard values.count == 6, let v = Optional(values.compactMap { Int($0) }), v.count == 6 else {
            throw PromptError("--box \(text): needs LABEL:i0,j0,k0,i1,j1,k1 (6 integer voxel indices)")
        }
        return (label, Array(v[0..<3]), Array(v[3..<6]))
    }

    /// Parses a `--point` value.
    public static func point(_ text: String) throws -> (label: Int, voxel: [Int], positive: Bool) {
        var (label, values) = try split(text, option: "--point", example: "1:60,70,15 or 1:60,70,15,neg")
        var positive = true
        if values.last == "neg" || values.last == "pos" {
            positive = values.removeLast() == "pos"
        }
        let v = values.compactMap { Int($0) }
        guard values.count == 3, v.count == 3 else {
            throw PromptError("--point \(text): needs LABEL:i,j,k or LABEL:i,j,k,neg (integer voxel indices)")
        }
        return (label, v, positive)
    }

    /// A label value: 1...65535.
    public static func label(_ value: Int, _ context: String) throws -> Int {
        guard (1...65535).contains(value) else { throw PromptError("\(context): label \(value) must be in 1...65535 (0 is background)") }
        return value
    }

    private static func split(_ text: String, option: String, example: String) throws -> (Int, [String]) {
        let parts = text.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, let label = Int(parts[0]) else {
            throw PromptError("\(option) \(text): expected LABEL:... (e.g. \(option) \(example))")
        }
        return (try Self.label(label, "\(option) \(text)"),
                parts[1].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() })
    }
}
