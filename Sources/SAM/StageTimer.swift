import Foundation

/// Accumulates wall-clock seconds per named stage (for `volsam bench --stages`).
public final class StageTimer: @unchecked Sendable {
    public private(set) var seconds: [String: Double] = [:]
    public private(set) var order: [String] = []

    public init() {}

    public func add(_ name: String, _ value: Double) {
        if seconds[name] == nil { order.append(name) }
        seconds[name, default: 0] += value
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
