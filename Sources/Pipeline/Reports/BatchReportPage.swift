import Foundation
import Metrics
import Volume

/// `volsam batch --report`: OUTDIR/report/index.html, rewritten after every case like the tables, and a montage per
/// finished case (report/CASE.png): what ran, the papers' table, strip plots of Dice and HD95 per label over the
/// cases, and a row per case (failures and the worst Dice first) with its per-label Dice and HD95 and its montage.
public struct BatchReportPage {
    /// One case as the report shows it.
    public struct Entry {
        public let id: String
        public let image: String
        /// The montage's file name in the report folder, when one was drawn.
        public var montage: String?
        public var metrics: [LabelMetrics]?
        /// Why the case failed, or why its montage could not be drawn.
        public var error: String?
        public var failed: Bool
        public var seconds: Double

        public init(id: String, image: String, montage: String?, metrics: [LabelMetrics]?, error: String?, failed: Bool, seconds: Double) {
            (self.id, self.image, self.montage, self.metrics, self.error, self.failed, self.seconds) = (id, image, montage, metrics, error, failed, seconds)
        }
    }

    public let folder: String
    public let plan: BatchPlan
    public let propagation: PropagationMode

    /// The report folder of a batch writing into `output`.
    public static func folder(in output: String) -> String { output + "/report" }

    public init(output: String, plan: BatchPlan, propagation: PropagationMode) {
        (folder, self.plan, self.propagation) = (Self.folder(in: output), plan, propagation)
    }

    /// Draws CASE.png for a written label map and returns its file name.
    public func montage(_ item: DatasetCase, prediction: String, reading: ImageReading) throws -> String {
        try AtomicOutput.createFolder(folder)
        let made = try CaseMontage.make(image: item.image, labelMap: prediction, reference: item.reference,
                                        labels: CaseMontage.labels(of: prediction), regions: plan.prompts.regions, reading: reading)
        let name = item.id + ".png"
        try AtomicOutput.write(made.png, to: folder + "/" + name)
        return name
    }

    /// Writes index.html (a shard's: index_shardKofN.html) for the cases so far; `counts`: segmented, resumed, failed.
    public func write(_ entries: [Entry], scored: [CaseMetrics], counts: (Int, Int, Int), total: Int, tag: String = "") throws {
        try AtomicOutput.createFolder(folder)
        var page = HTMLPage(title: "VolSAM batch: " + (plan.dataset as NSString).lastPathComponent)
        page.paragraph("Dataset \(plan.dataset) (\(plan.layout.rawValue)); \(entries.count) of \(total) case(s) done: \(counts.0) segmented, "
                       + "\(counts.1) resumed, \(counts.2) failed; \(scored.count) scored (\(plan.metricOptions.convention.rawValue) convention); "
                       + "propagation \(propagation.rawValue)")
        let failed = entries.filter(\.failed)
        if !failed.isEmpty { page.paragraph("\(failed.count) case(s) failed: " + failed.map(\.id).joined(separator: ", "), cssClass: "note") }
        let summary = MetricsSummary(cases: scored, names: plan.metricOptions.labelNames)
        if !scored.isEmpty {
            page.heading("Summary")
            page.preformatted(MetricsReport.paperTable(summary, options: plan.metricOptions, columns: plan.columns))
            let labels = plan.columns.filter(summary.labels.contains) + summary.labels.filter { !plan.columns.contains($0) }
            func strips(_ metric: KeyPath<LabelMetrics, Double?>) -> [SVGPlot.Strip] {
                labels.map { label in
                    SVGPlot.Strip(name: summary.name(label), color: LabelColors.hex(paint[label] ?? label), values: scored.compactMap { c in
                        c.labels.first { $0.label == label }?[keyPath: metric].map { (c.caseID, $0) }
                    })
                }
            }
            let unit = plan.metricOptions.convention == .transunet ? "voxels" : "mm"
            page.markup(SVGPlot.strip(title: "Dice per label (a dot per case, bar: median)", groups: strips(\.dice), range: 0...1))
            page.markup(SVGPlot.strip(title: "HD95 per label (\(unit))", groups: strips(\.hd95)))
        }
        page.heading("Cases")
        page.paragraph("Failures and the worst Dice first; click a column to sort, a montage to open it. Montages: per label "
                       + "\(CaseMontage.slicesPerLabel) axial slices through its extent, the label map's outlines in colour, the reference's in white.",
                       cssClass: "note")
        page.markup(caseTable(entries, labels: summary.labels, names: summary).html)
        try page.write(to: folder + "/index\(tag).html")
    }

    /// Label-map values the scored labels are drawn with, where they differ (BraTS regions).
    var paint: [Int: Int] {
        Dictionary((plan.prompts.regions ?? []).map { ($0.id, $0.paintValue) }, uniquingKeysWith: { a, _ in a })
    }

    func caseTable(_ entries: [Entry], labels: [Int], names: MetricsSummary) -> HTMLTable {
        var table = HTMLTable(headers: ["Case", "Worst Dice", "Mean Dice", "Mean HD95"] + labels.map { "\(names.name($0)): Dice, HD95" }
                              + ["Seconds", "Montage"])
        func worst(_ e: Entry) -> Double { e.failed ? -2 : (e.metrics?.map { $0.dice ?? -1 }.min() ?? 2) }
        for entry in entries.sorted(by: { (worst($0), $0.id) < (worst($1), $1.id) }) {
            let dice = entry.metrics?.compactMap(\.dice) ?? [], hd95 = entry.metrics?.compactMap(\.hd95) ?? []
            var row: [HTMLTable.Cell] = [.text(entry.id),
                                         .number(entry.metrics == nil ? nil : worst(entry), missing: worst(entry), bad: entry.metrics != nil && worst(entry) < 0.5),
                                         .number(dice.isEmpty ? nil : dice.reduce(0, +) / Double(dice.count), missing: -1),
                                         .number(hd95.isEmpty ? nil : hd95.reduce(0, +) / Double(hd95.count), format: "%.2f", missing: 1e9)]
            for label in labels {
                let m = entry.metrics?.first { $0.label == label }
                let text = m.map { ($0.dice.map { String(format: "%.4f", $0) } ?? "n/a") + ", " + ($0.hd95.map { String(format: "%.2f", $0) } ?? "n/a") } ?? "-"
                row.append(HTMLTable.Cell(markup: HTMLPage.escape(text), sortValue: String(m?.dice ?? -1), cssClass: (m?.dice ?? 1) < 0.5 ? "bad" : nil))
            }
            row.append(.number(entry.seconds, format: "%.1f", missing: 0))
            if let montage = entry.montage {
                let file = HTMLPage.escape(montage)
                row.append(HTMLTable.Cell(markup: "<a href=\"\(file)\"><img class=\"montage thumb\" src=\"\(file)\" alt=\"\(HTMLPage.escape(entry.id))\"/></a>"
                                          + (entry.error.map { "<br/>" + HTMLPage.escape($0) } ?? ""), sortValue: entry.id, cssClass: "text"))
            } else {
                row.append(HTMLTable.Cell(markup: HTMLPage.escape((entry.failed ? "failed: " : "no montage: ") + (entry.error ?? "")),
                                          sortValue: "", cssClass: "fail"))
            }
            table.rows.append(row)
        }
        return table
    }
}
