import Foundation
import Training
import Volume

/// `volsam finetune`'s plots and page beside the adapter: ADAPTER.loss.svg (the loss of every step and its running
/// mean over 10 steps), ADAPTER.validation.svg (held-out Dice with boxes and with points before training and after
/// each epoch, when it validates) and ADAPTER.report.html showing both with the run's settings and numbers.
public enum FinetuneReportPage {
    /// The files written beside `adapter` (the validation plot only when `validates`).
    public static func files(adapter: String, validates: Bool) -> [String] {
        [FinetuneRun.sidecar(adapter, ".loss.svg")] + (validates ? [FinetuneRun.sidecar(adapter, ".validation.svg")] : [])
            + [FinetuneRun.sidecar(adapter, ".report.html")]
    }

    /// Writes the plots and the page; returns the files written.
    public static func write(_ report: FinetuneReport, adapter: String, settings: [(String, String)]) throws -> [String] {
        let files = files(adapter: adapter, validates: !report.scores.isEmpty)
        let loss = lossPlot(report.steps)
        try AtomicOutput.write(Data(loss.utf8), to: files[0])
        var page = HTMLPage(title: "VolSAM finetune: " + (adapter as NSString).lastPathComponent)
        page.paragraph(report.text.replacingOccurrences(of: "\n", with: "; "))
        page.heading("Loss")
        page.markup(loss)
        if !report.scores.isEmpty {
            let validation = validationPlot(report.scores)
            try AtomicOutput.write(Data(validation.utf8), to: files[1])
            page.heading("Held-out Dice")
            page.paragraph("\(report.validation.count) held-out slices (never exemplars), scored before training and after each epoch.", cssClass: "note")
            page.markup(validation)
            var table = HTMLTable(headers: ["Step", "Epoch", "Dice (box)", "Dice (point)"])
            for s in report.scores {
                table.rows.append([.number(Double(s.step), format: "%.0f", missing: 0), .number(s.epoch, format: "%.2f", missing: 0),
                                   .number(s.box, missing: -1), .number(s.point, missing: -1)])
            }
            page.markup(table.html)
        }
        page.heading("Settings")
        var table = HTMLTable(headers: ["Setting", "Value"])
        for (name, value) in settings { table.rows.append([.text(name), .text(value)]) }
        page.markup(table.html)
        try page.write(to: files.last!)
        return files
    }

    static func lossPlot(_ steps: [TrainingStep]) -> String {
        let points = steps.map { (x: Double($0.step), y: $0.loss) }
        var running: [(x: Double, y: Double)] = []
        for i in points.indices {
            let window = points[max(0, i - 9)...i]
            running.append((points[i].x, window.map(\.y).reduce(0, +) / Double(window.count)))
        }
        return SVGPlot.lines(title: "Training loss", xLabel: "step", series: [
            .init(name: "loss", color: "#9aa5b1", points: points), .init(name: "mean of 10 steps", color: "#0082c8", points: running),
        ])
    }

    static func validationPlot(_ scores: [ValidationScore]) -> String {
        let box = scores.compactMap { s in s.box.map { (x: s.epoch, y: $0) } }, point = scores.compactMap { s in s.point.map { (x: s.epoch, y: $0) } }
        return SVGPlot.lines(title: "Held-out Dice", xLabel: "epoch", series: [
            .init(name: "box prompts", color: "#3cb44b", points: box), .init(name: "point prompts", color: "#e6194b", points: point),
        ].filter { !$0.points.isEmpty }, range: 0...1)
    }
}
