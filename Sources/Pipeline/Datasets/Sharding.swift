import Foundation

/// `--shard K/N`: shard K (1-based) of N takes every N-th case of the sorted list, starting at the K-th, so the
/// shards of an array job cover every case exactly once.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    public init(parsing text: String) throws {
        let parts = text.split(separator: "/").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let k = parts[0], let n = parts[1], n >= 1, (1...n).contains(k) else {
            throw PromptError("--shard takes K/N with 1 <= K <= N (e.g. 2/8), not '\(text)'")
        }
        index = k
        count = n
    }

    public func select<T>(_ items: [T]) -> [T] {
        items.enumerated().filter { $0.offset % count == index - 1 }.map(\.element)
    }

    /// A file-name tag, e.g. `shard2of8`.
    public var tag: String { "shard\(index)of\(count)" }
    public var description: String { "\(index)/\(count)" }
}
