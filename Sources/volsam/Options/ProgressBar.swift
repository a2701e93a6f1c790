import Foundation
import Synchronization

/// A progress bar with ETA on stderr (redrawn in place on a terminal, a line per 10% otherwise); silent when quiet.
final class ProgressBar: Sendable {
    private let unit: String
    private let quiet: Bool
    private let state: Mutex<(total: Int, done: Int, lastDecile: Int, start: Date)>
    private let terminal = isatty(STDERR_FILENO) != 0

    /// `total` may be set later with `begin` (when the work is planned by the library).
    init(total: Int = 1, unit: String, quiet: Bool = false) {
        self.unit = unit
        self.quiet = quiet
        state = Mutex((max(1, total), 0, -1, Date()))
    }

    /// Sets how many items there are and starts the clock.
    func begin(total: Int) {
        state.withLock { $0 = (max(1, total), 0, -1, Date()) }
    }

    /// Marks one more item done and redraws, with `detail` (e.g. the loss) after the ETA.
    func advance(detail: String? = nil) {
        guard !quiet else { return }
        let line: (text: String, last: Bool)? = state.withLock { s in
            s.done += 1
            let decile = s.done * 10 / s.total
            if !terminal && decile == s.lastDecile && s.done != s.total { return nil }
            s.lastDecile = decile
            let elapsed = Date().timeIntervalSince(s.start)
            let eta = elapsed / Double(s.done) * Double(max(0, s.total - s.done))
            let filled = min(30, s.done * 30 / s.total)
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: 30 - filled)
            return ("[\(bar)] \(s.done)/\(s.total) \(unit), elapsed \(Self.clock(elapsed)), ETA \(Self.clock(eta))" + (detail.map { ", \($0)" } ?? ""), s.done == s.total)
        }
        if let line {
            FileHandle.standardError.write(Data((terminal ? "\r" + line.text + "\u{1B}[K" : line.text + "\n").utf8))
            if terminal && line.last { FileHandle.standardError.write(Data("\n".utf8)) }
        }
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%dh%02dm", s / 3600, s / 60 % 60) : String(format: "%dm%02ds", s / 60, s % 60)
    }
}
