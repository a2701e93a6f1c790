import Foundation
import Synchronization

/// A progress bar with ETA on stderr (redrawn in place on a terminal, a line per 10% otherwise); silent when quiet.
final class ProgressBar: Sendable {
    private let total: Int
    private let unit: String
    private let quiet: Bool
    private let start = Date()
    private let state = Mutex((done: 0, lastDecile: -1))
    private let terminal = isatty(STDERR_FILENO) != 0

    init(total: Int, unit: String, quiet: Bool = false) {
        self.total = max(1, total)
        self.unit = unit
        self.quiet = quiet
    }

    /// Marks one more item done and redraws.
    func advance() {
        guard !quiet else { return }
        let line: String? = state.withLock { s in
            s.done += 1
            let decile = s.done * 10 / total
            if !terminal && decile == s.lastDecile && s.done != total { return nil }
            s.lastDecile = decile
            let elapsed = Date().timeIntervalSince(start)
            let eta = elapsed / Double(s.done) * Double(total - s.done)
            let filled = s.done * 30 / total
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: 30 - filled)
            return "[\(bar)] \(s.done)/\(total) \(unit), elapsed \(Self.clock(elapsed)), ETA \(Self.clock(eta))"
        }
        if let line {
            FileHandle.standardError.write(Data((terminal ? "\r" + line : line + "\n").utf8))
            if terminal && state.withLock({ $0.done }) == total { FileHandle.standardError.write(Data("\n".utf8)) }
        }
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%dh%02dm", s / 3600, s / 60 % 60) : String(format: "%dm%02ds", s / 60, s % 60)
    }
}
