import Foundation
import Parallelism

/// Accumulates wall-clock seconds per named stage (for `volsam bench --stages`); jobs running side by side
/// (ParallelLoop.jobs) each add their own time.
public final class StageTimer: @unchecked Sendable {
    private var totals: [String: Double] = [:]
    private var names: [String] = []
    private let lock = NSLock()

    public init() {}

    public var seconds: [String: Double] { lock.withLock { totals } }
    public var order: [String] { lock.withLock { names } }

    public func add(_ name: String, _ value: Double) {
        lock.withLock {
            if totals[name] == nil { names.append(name) }
            totals[name, default: 0] += value
        }
    }
}

extension Optional where Wrapped == StageTimer {
    /// Runs `body`, adding its duration to `name` when there is a timer.
    func measure<T>(_ name: String, _ body: () -> T) -> T {
        guard let timer = self else { return body() }
        let start = DispatchTime.now().uptimeNanoseconds
        let result = body()
        timer.add(name, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        return result
    }
}
