import Foundation

/// Label ids as users write them ("1,2,3"): positive integers, in the order given, without repeats.
public struct LabelList: Sendable, Equatable, CustomStringConvertible {
    public let ids: [Int]

    public init(_ ids: [Int]) {
        self.ids = ids
    }

    /// Parses "1,2,3"; nil unless every item is a positive integer.
    public init?(parsing text: String) {
        var ids: [Int] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let id = Int(item.trimmingCharacters(in: .whitespaces)), id > 0 else { return nil }
            if !ids.contains(id) { ids.append(id) }
        }
        guard !ids.isEmpty else { return nil }
        self.ids = ids
    }

    public var description: String { ids.map(String.init).joined(separator: ",") }

    /// What a valid list looks like, for error messages.
    public static let expected = "positive integers like 1,2,3"
}
