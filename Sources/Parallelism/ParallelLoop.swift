import Foundation
import Synchronization

/// Hands a value (typically a buffer pointer) to parallel workers that write disjoint parts of it; the caller
/// guarantees that accesses do not race.
public struct UncheckedBox<T>: @unchecked Sendable {
    public let value: T
    public init(_ value: T) { self.value = value }
}

/// A pointer handed to parallel workers that touch disjoint parts of it.
public struct UncheckedPointer<T>: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<T>
    public init(_ pointer: UnsafeMutablePointer<T>) { self.pointer = pointer }
}

/// VolSAM's one thread pool: splits 0..<count into contiguous ranges run concurrently (as many as `threads`),
/// except on a thread running one of several jobs side by side (`jobs`), where every loop stays on its thread.
/// Volume IO, metrics and the engine all run on it, so `--threads` reaches every parallel loop.
public enum ParallelLoop {
    /// Threads of every parallel loop (set once from --threads; defaults to the core count).
    nonisolated(unsafe) public static var threads = ProcessInfo.processInfo.activeProcessorCount

    public static func forRanges(count: Int, minimumChunk: Int = 1, _ body: @Sendable (Range<Int>) -> Void) {
        let parts = isSerial ? 1 : max(1, min(threads, count / max(1, minimumChunk)))
        if parts == 1 {
            body(0..<count)
            return
        }
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            body((count * part / parts)..<(count * (part + 1) / parts))
        }
    }

    /// Runs items 0..<count of uneven cost on the threads: each thread runs `body` once with a `claim` that hands
    /// it the next unclaimed item (nil when none is left), so a thread that drew cheap items takes more of them.
    /// Items are claimed in order.
    public static func claiming(count: Int, _ body: @Sendable (_ claim: () -> Int?) -> Void) {
        let workers = isSerial ? 1 : max(1, min(threads, count))
        let next = Atomic<Int>(0)
        let claim: @Sendable () -> Int? = {
            let item = next.wrappingAdd(1, ordering: .relaxed).oldValue
            return item < count ? item : nil
        }
        if workers == 1 {
            body(claim)
            return
        }
        DispatchQueue.concurrentPerform(iterations: workers) { _ in body(claim) }
    }

    /// Runs `count` independent jobs (whole model passes) on the threads, each thread taking every threads-th job
    /// and running its kernels alone: for passes whose small kernels do not split well, two at once keep both
    /// cores busier than one split in two. Results in job order.
    public static func jobs<T>(count: Int, _ job: @Sendable (Int) -> T) -> [T] {
        let workers = isSerial ? 1 : min(threads, count)
        guard workers > 1 else { return (0..<count).map(job) }
        var results = [T?](repeating: nil, count: count)
        results.withUnsafeMutableBufferPointer { buffer in
            let out = UncheckedPointer(buffer.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                serially {
                    for index in stride(from: worker, to: count, by: workers) { (out.pointer + index).pointee = job(index) }
                }
            }
        }
        return results.map { $0! }
    }

    /// True on a thread inside `jobs` (its kernels do not split).
    public static var isSerial: Bool { pthread_getspecific(serialKey) != nil }

    public static func serially(_ body: () -> Void) {
        let previous = pthread_getspecific(serialKey)
        pthread_setspecific(serialKey, UnsafeRawPointer(bitPattern: 1))
        defer { pthread_setspecific(serialKey, previous) }
        body()
    }
}

/// The thread-specific flag behind ParallelLoop.isSerial.
private let serialKey: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key, nil)
    return key
}()
