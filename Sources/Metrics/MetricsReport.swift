import Foundation

/// Formats metrics as JSON, CSV and paper-style tables.
public enum MetricsReport {
    /// JSON value of a metric (null when undefined).
    static func json(_ value: Double?) -> Any { value.map { $0 as Any } ?? NSNull() }

    /// One label as a JSON object: label, name, dice, iou, hd95, hd, assd, asd, nsd, pred_voxels, gt_voxels, note.
    public static func object(_ m: LabelMetrics) -> [String: Any] {
        var out: [String: Any] = ["label": m.label, "pred_voxels": m.predVoxels, "gt_voxels": m.gtVoxels]
        for (name, value) in m.values { out[name] = json(value) }
        if let name = m.name { out["name"] = name }
        if !m.notes.isEmpty { out["note"] = m.notes.joined(separator: "; ") }
        return out
    }

    public static func data(_ object: Any) throws -> Data {
        try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]) + Data("\n".utf8)
    }

    static func csvField(_ text: String) -> String {
        text.contains(",") || text.contains("\"") || text.contains("\n")
            ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }

    static func number(_ value: Double?) -> String { value.map { String(format: "%.10g", $0) } ?? "" }

    /// metrics.csv: one row per case and label (empty cells where a metric is undefined).
    public static func csv(_ cases: [CaseMetrics]) -> String {
        var lines = ["case,label,name," + LabelMetrics.metricNames.joined(separator: ",") + ",pred_voxels,gt_voxels,note"]
        for c in cases {
            for m in c.labels {
                let values = m.values.map { number($0.1) }.joined(separator: ",")
                lines.append([csvField(c.caseID), String(m.label), csvField(m.name ?? ""), values, String(m.predVoxels),
                              String(m.gtVoxels), csvField(m.notes.joined(separator: "; "))].joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// metrics_per_slice.csv: one row per case, axial slice and label.
    public static func perSliceCSV(_ cases: [(caseID: String, rows: [(slice: Int, metrics: LabelMetrics)])]) -> String {
        var lines = ["case,slice,label,name," + LabelMetrics.metricNames.joined(separator: ",") + ",pred_voxels,gt_voxels,note"]
        for c in cases {
            for (slice, m) in c.rows {
                lines.append([csvField(c.caseID), String(slice), String(m.label), csvField(m.name ?? ""),
                              m.values.map { number($0.1) }.joined(separator: ","), String(m.predVoxels),
                              String(m.gtVoxels), csvField(m.notes.joined(separator: "; "))].joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// summary.json in nnU-Net's shape (metric_per_case, mean, foreground_mean) plus VolSAM's statistics.
    public static func summary(_ cases: [CaseMetrics], _ summary: MetricsSummary, options: MetricOptions) -> [String: Any] {
        let nnUNetNames = ["dice": "Dice", "iou": "IoU", "hd95": "HD95", "hd": "HD", "assd": "ASSD", "asd": "ASD", "nsd": "NSD"]
        let perCase: [[String: Any]] = cases.map { c in
            var metrics: [String: Any] = [:]
            for m in c.labels {
                var entry: [String: Any] = ["n_pred": m.predVoxels, "n_ref": m.gtVoxels]
                for (name, value) in m.values { entry[nnUNetNames[name]!] = json(value) }
                metrics[String(m.label)] = entry
            }
            return ["case": c.caseID, "prediction_file": c.predictionFile, "reference_file": c.referenceFile,
                    "metrics": metrics]
        }
        var mean: [String: Any] = [:], statistics: [String: Any] = [:]
        for label in summary.labels {
            let stats = summary.statistics[label]!
            mean[String(label)] = Dictionary(uniqueKeysWithValues: LabelMetrics.metricNames.map {
                (nnUNetNames[$0]!, json(stats[$0]!.mean))
            })
            var entry: [String: Any] = ["name": summary.name(label)]
            for metric in LabelMetrics.metricNames {
                let s = stats[metric]!
                entry[metric] = ["mean": json(s.mean), "std": json(s.std), "median": json(s.median), "count": s.count,
                                 "skipped": s.skipped] as [String: Any]
            }
            statistics[String(label)] = entry
        }
        let foreground = Dictionary(uniqueKeysWithValues: LabelMetrics.metricNames.map {
            (nnUNetNames[$0]!, json(summary.foregroundMean($0)))
        })
        return ["metric_per_case": perCase, "mean": mean, "foreground_mean": foreground, "statistics": statistics,
                "convention": options.convention.rawValue, "nsd_tolerance": options.nsdTolerance, "cases": cases.count,
                "both_empty": options.bothEmptyRule.rawValue]
    }

    /// The papers' table: labels as columns, mean Dice (%) and mean HD95 rows, and their mean over labels.
    /// `columns` orders the labels (e.g. the Synapse papers' alphabetical organs); labels not listed follow.
    public static func paperTable(_ summary: MetricsSummary, options: MetricOptions, columns: [Int] = []) -> String {
        let hd95Unit = options.convention == .transunet ? "vox" : "mm"
        let labels = columns.filter(summary.labels.contains) + summary.labels.filter { !columns.contains($0) }
        let headers = labels.map { summary.name($0) } + ["mean"]
        let width = max(9, (headers.map(\.count).max() ?? 0) + 2)
        func row(_ title: String, _ metric: String, scale: Double) -> String {
            var cells = labels.map { label -> String in
                guard let v = summary.statistics[label]?[metric]?.mean else { return "n/a" }
                return String(format: "%.2f", v * scale)
            }
            cells.append(summary.foregroundMean(metric).map { String(format: "%.2f", $0 * scale) } ?? "n/a")
            return title.padding(toLength: 12, withPad: " ", startingAt: 0)
                + cells.map { String(repeating: " ", count: max(0, width - $0.count)) + $0 }.joined()
        }
        var lines = ["".padding(toLength: 12, withPad: " ", startingAt: 0)
                     + headers.map { String(repeating: " ", count: max(0, width - $0.count)) + $0 }.joined()]
        lines.append(row("Dice (%)", "dice", scale: 100))
        lines.append(row("HD95 (\(hd95Unit))", "hd95", scale: 1))
        let skipped = labels.map { summary.statistics[$0]?["hd95"]?.skipped ?? 0 }.reduce(0, +)
        if skipped > 0 { lines.append("(\(skipped) undefined HD95 value(s) skipped: an empty mask; see metrics.csv)") }
        let absent = labels.map { summary.statistics[$0]?["dice"]?.skipped ?? 0 }.reduce(0, +)
        switch options.bothEmptyRule {
        case .skip where absent > 0:
            lines.append("(\(absent) label(s) absent from both maps of a case left out of the means; --both-empty perfect counts them as 1)")
        case .perfect: lines.append("(labels absent from both maps of a case count as Dice 1: --both-empty perfect)")
        case .zero: lines.append("(labels absent from both maps of a case count as Dice 0: --both-empty zero)")
        default: break
        }
        return lines.joined(separator: "\n")
    }

    /// One case as a text table, one row per label.
    public static func caseTable(_ labels: [LabelMetrics], hd95Unit: String = "mm") -> String {
        let header = ["label", "name", "Dice", "IoU", "HD95", "HD", "ASSD", "NSD", "pred vox", "gt vox"]
        var rows = [header]
        for m in labels {
            let f = { (v: Double?) in v.map { String(format: "%.4f", $0) } ?? "n/a" }
            rows.append([String(m.label), m.name ?? "", f(m.dice), f(m.iou), f(m.hd95), f(m.hd), f(m.assd), f(m.nsd),
                         String(m.predVoxels), String(m.gtVoxels)])
        }
        let widths = (0..<header.count).map { c in rows.map { $0[c].count }.max()! }
        var lines = rows.map { r in (0..<r.count).map { r[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ") }
        for m in labels where !m.notes.isEmpty { lines.append("label \(m.label): \(m.notes.joined(separator: "; "))") }
        lines.append("(HD95, HD, ASSD in \(hd95Unit))")
        return lines.joined(separator: "\n")
    }
}
