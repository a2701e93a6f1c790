import Foundation

/// How prompts are derived from a reference label map: the evaluation protocols of the SAM-family papers.
public enum PromptStrategy: Sendable, Equatable, CustomStringConvertible {
    /// Key slice int((k_max - k_min) / 2 + k_min), the label's box on it, propagated over the label's slice range.
    case box
    /// As `box`, but the key box spans the label's whole 3-D extent.
    case box3d
    /// As `box`, each side of the key box moved by up to `fraction` of the box's size (seeded).
    case boxJitter(fraction: Double)
    /// The reference box on every slice the label occupies.
    case sliceBoxes
    /// One positive point per slice at the label's centroid (rounded to the nearest pixel).
    case center
    /// One positive point per slice at the foreground pixel furthest from the label's margin (in-plane mm).
    case furthest
    /// `positive` random foreground points and `negative` random background points per slice (seeded).
    case points(positive: Int, negative: Int)
    /// One positive point per non-empty quadrant of the slice's box: the pixel nearest the quadrant's centroid.
    case quadrants

    /// The names users type.
    public static let usage = "box, box3d, box-jitter:F, slice-boxes, center, furthest, points:N, points:N,neg:M, quadrants"

    /// Parses `box`, `box3d`, `box-jitter:0.1`, `slice-boxes`, `center`, `furthest`, `points:3`, `points:3,neg:1`,
    /// `quadrants`.
    public init(parsing text: String) throws {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        switch t {
        case "box": self = .box
        case "box3d": self = .box3d
        case "slice-boxes": self = .sliceBoxes
        case "center": self = .center
        case "furthest": self = .furthest
        case "quadrants": self = .quadrants
        default:
            if t.hasPrefix("box-jitter:"), let f = Double(t.dropFirst("box-jitter:".count)), f >= 0, f <= 1 {
                self = .boxJitter(fraction: f)
            } else if t.hasPrefix("points:") {
                let parts = t.dropFirst("points:".count).split(separator: ",")
                guard let n = parts.first.flatMap({ Int($0) }), n >= 1, parts.count <= 2 else {
                    throw PromptError("strategy '\(text)': points:N needs N >= 1 (e.g. points:3 or points:3,neg:1)")
                }
                var negatives = 0
                if parts.count == 2 {
                    guard parts[1].hasPrefix("neg:"), let m = Int(parts[1].dropFirst(4)), m >= 0 else {
                        throw PromptError("strategy '\(text)': the negatives are written neg:M (e.g. points:3,neg:1)")
                    }
                    negatives = m
                }
                self = .points(positive: n, negative: negatives)
            } else {
                throw PromptError("unknown strategy '\(text)'; choose one of: \(Self.usage) (box-jitter takes 0...1)")
            }
        }
    }

    public var description: String {
        switch self {
        case .box: "box"
        case .box3d: "box3d"
        case .boxJitter(let f): "box-jitter:\(f)"
        case .sliceBoxes: "slice-boxes"
        case .center: "center"
        case .furthest: "furthest"
        case .points(let n, let m): m == 0 ? "points:\(n)" : "points:\(n),neg:\(m)"
        case .quadrants: "quadrants"
        }
    }
}
