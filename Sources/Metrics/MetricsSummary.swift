import Foundation

/// One scored case of a folder evaluation.
public struct CaseMetrics: Sendable {
    public var caseID: String
    public var predictionFile: String
    public var referenceFile: String
    public var labels: [LabelMetrics]

    public init(caseID: String, predictionFile: String, referenceFile: String, labels: [LabelMetrics]) {
        self.caseID = caseID
        self.predictionFile = predictionFile
        self.referenceFile = referenceFile
        self.labels = labels
    }
}

/// Mean, standard deviation (population, as numpy's default), median and count of one metric of one label across
/// cases; undefined values are skipped and counted.
public struct MetricStatistics: Sendable, Equatable {
    public var mean: Double?
    public var std: Double?
    public var median: Double?
    public var count: Int
    public var skipped: Int

    public init(_ values: [Double?]) {
        let defined = values.compactMap { $0 }
        count = defined.count
        skipped = values.count - defined.count
        guard !defined.isEmpty else { return }
        let m = defined.reduce(0, +) / Double(defined.count)
        mean = m
        std = (defined.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(defined.count)).squareRoot()
        let sorted = defined.sorted()
        median = sorted.count % 2 == 1 ? sorted[sorted.count / 2]
            : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
}

/// Per-label statistics over cases.
public struct MetricsSummary: Sendable {
    public let labels: [Int]
    public let names: [Int: String]
    /// statistics[label][metric name]
    public let statistics: [Int: [String: MetricStatistics]]

    public init(cases: [CaseMetrics], names: [Int: String] = [:]) {
        let labels = Array(Set(cases.flatMap { $0.labels.map(\.label) })).sorted()
        var statistics: [Int: [String: MetricStatistics]] = [:]
        var allNames = names
        for label in labels {
            let rows = cases.compactMap { $0.labels.first { $0.label == label } }
            if allNames[label] == nil, let name = rows.compactMap(\.name).first { allNames[label] = name }
            var perMetric: [String: MetricStatistics] = [:]
            for (index, metric) in LabelMetrics.metricNames.enumerated() {
                perMetric[metric] = MetricStatistics(rows.map { $0.values[index].1 })
            }
            statistics[label] = perMetric
        }
        self.labels = labels
        self.names = allNames
        self.statistics = statistics
    }

    /// The mean over labels of each label's mean (nnU-Net's foreground_mean).
    public func foregroundMean(_ metric: String) -> Double? {
        let means = labels.compactMap { statistics[$0]?[metric]?.mean }
        return means.isEmpty ? nil : means.reduce(0, +) / Double(means.count)
    }

    public func name(_ label: Int) -> String { names[label] ?? "label \(label)" }
}
