import Foundation

/// A box on a canonical axial slice: inclusive pixel indices, x = column (canonical axis 0), y = row (axis 1).
public struct PromptBox: Sendable, Equatable, CustomStringConvertible {
    public var x0: Double, y0: Double, x1: Double, y1: Double

    public init(x0: Double, y0: Double, x1: Double, y1: Double) {
        self.x0 = x0
        self.y0 = y0
        self.x1 = x1
        self.y1 = y1
    }

    /// The (x0, y0, x1, y1) array the model frame expects.
    public var corners: [Double] { [x0, y0, x1, y1] }
    public var description: String { "[\(x0), \(y0), \(x1), \(y1)]" }
}

/// A point on a canonical axial slice (pixel indices, x = column, y = row), positive or negative.
public struct PromptPoint: Sendable, Equatable, CustomStringConvertible {
    public var x: Double, y: Double
    public var positive: Bool

    public init(x: Double, y: Double, positive: Bool = true) {
        self.x = x
        self.y = y
        self.positive = positive
    }

    public var description: String { "(\(x), \(y)\(positive ? "" : ", neg"))" }
}

/// The prompts of one label on one canonical axial slice: an optional box and any number of points.
public struct SlicePrompt: Sendable, Equatable {
    public var box: PromptBox?
    public var points: [PromptPoint]

    public init(box: PromptBox? = nil, points: [PromptPoint] = []) {
        self.box = box
        self.points = points
    }
}

/// A 3-D box segmented with the LiteMedSAM propagation protocol: the key slice with `box`, then slice by slice up
/// and down within `slices`, each slice prompted with the box of the previous slice's mask.
public struct PropagationPrompt: Sendable, Equatable {
    public var keySlice: Int
    public var box: PromptBox
    public var slices: ClosedRange<Int>

    public init(keySlice: Int, box: PromptBox, slices: ClosedRange<Int>) {
        precondition(slices.contains(keySlice), "key slice \(keySlice) outside \(slices)")
        self.keySlice = keySlice
        self.box = box
        self.slices = slices
    }

    /// The reference's key slice of a slice range: int((k_max - k_min) / 2 + k_min).
    public static func keySlice(of slices: ClosedRange<Int>) -> Int {
        Int(Double(slices.upperBound - slices.lowerBound) / 2 + Double(slices.lowerBound))
    }
}

/// Everything that prompts one label, in the canonical (LPS) layout.
public struct LabelPrompts: Sendable, Equatable {
    public var label: Int
    public var name: String?
    public var propagations: [PropagationPrompt]
    /// Independent prompts per slice. On a slice that a propagation also covers, the points join the propagated box.
    public var slicePrompts: [Int: SlicePrompt]

    public init(label: Int, name: String? = nil, propagations: [PropagationPrompt] = [], slicePrompts: [Int: SlicePrompt] = [:]) {
        self.label = label
        self.name = name
        self.propagations = propagations
        self.slicePrompts = slicePrompts
    }

    /// Adds a point on slice k.
    public mutating func add(point: PromptPoint, slice k: Int) {
        slicePrompts[k, default: SlicePrompt()].points.append(point)
    }

    /// Adds a 2-D box on slice k (a second box on the same slice becomes a one-slice propagation of its own).
    public mutating func add(box: PromptBox, slice k: Int) {
        if slicePrompts[k]?.box == nil {
            slicePrompts[k, default: SlicePrompt()].box = box
        } else {
            propagations.append(PropagationPrompt(keySlice: k, box: box, slices: k...k))
        }
    }

    /// Every slice this label needs.
    public var slices: Set<Int> {
        var all = Set(slicePrompts.keys)
        for p in propagations { all.formUnion(p.slices) }
        return all
    }
}

/// A prompt problem found before any work is done (outside the volume, unknown or empty label, malformed text).
public struct PromptError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension LabelPrompts {
    /// Joins prompt lists from several sources: one entry per label (sorted), prompts of the same label combined.
    public static func merged(_ lists: [[LabelPrompts]]) -> [LabelPrompts] {
        var byLabel: [Int: LabelPrompts] = [:]
        for list in lists {
            for item in list {
                guard var existing = byLabel[item.label] else { byLabel[item.label] = item; continue }
                existing.name = existing.name ?? item.name
                existing.propagations += item.propagations
                for (k, p) in item.slicePrompts {
                    if let box = p.box { existing.add(box: box, slice: k) }
                    for point in p.points { existing.add(point: point, slice: k) }
                }
                byLabel[item.label] = existing
            }
        }
        return byLabel.keys.sorted().map { byLabel[$0]! }
    }
}
