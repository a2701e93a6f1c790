import Foundation
import SAM

/// LiteMedSAM was trained with boxes only: from points alone it returns (almost) nothing (one point per slice over
/// real BraTS scans: whole-tumour Dice 0.3 %). A run whose labels are prompted by points only, without an adapter
/// trained with points, is told so once.
public enum PointPromptAdvice {
    /// The advice, or nil when every label has a box or the adapter was trained with points.
    public static func note(for prompts: [LabelPrompts], adapter: String?) throws -> String? {
        let pointOnly = prompts.filter(\.isPointOnly)
        guard !pointOnly.isEmpty else { return nil }
        if let adapter, let kind = try AdapterFile.read(path: adapter).metadata["prompts"], kind == "point" || kind == "mixed" { return nil }
        let labels = pointOnly.map { String($0.label) }.joined(separator: ", ")
        return "label\(pointOnly.count == 1 ? "" : "s") \(labels) \(pointOnly.count == 1 ? "has" : "have") only point prompts: the frozen "
            + "LiteMedSAM was trained with boxes and returns almost nothing from points. Give boxes, or an adapter trained with "
            + "points (volsam finetune --prompts point|mixed, then --adapter)"
    }
}

extension LabelPrompts {
    /// Prompted by points alone: no 3-D box and no slice box.
    public var isPointOnly: Bool {
        propagations.isEmpty && !slicePrompts.isEmpty && slicePrompts.values.allSatisfy { $0.box == nil }
    }
}
