import Foundation

/// Splits 0..<count into contiguous ranges processed concurrently on the machine's cores.
public enum Parallel {
    /// Threads used by VolSAM's own parallel loops (set once from --threads; defaults to the core count).
    nonisolated(unsafe) public static var threads = ProcessInfo.processInfo.activeProcessorCount

    /// Calls `body` with disjoint ranges covering 0..<count; ranges shorter than `minimumChunk` are not split further.
    public static func forRanges(count: Int, minimumChunk: Int = 1 << 16, _ body: @Sendable (Range<Int>) -> Void) {
        let parts = max(1, min(threads, count / max(1, minimumChunk)))
        if parts == 1 {
            body(0..<count)
            return
        }
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            let start = count * part / parts, end = count * (part + 1) / parts
            body(start..<end)
        }
    }
}

/// Hands a value (typically a buffer pointer) to parallel workers that write disjoint parts of it; the caller
/// guarantees that accesses do not race.
public struct UncheckedBox<T>: @unchecked Sendable {
    public let value: T
    public init(_ value: T) { self.value = value }
}
