import Foundation

/// Plots drawn as SVG text for the reports: strip plots of a metric per label over cases, and line plots of
/// training curves. Every point carries a tooltip (its case or step and value).
public enum SVGPlot {
    /// One group of a strip plot: a label's name, colour and the cases' values.
    public struct Strip {
        public let name: String, color: String
        public let values: [(id: String, value: Double)]

        public init(name: String, color: String, values: [(id: String, value: Double)]) {
            (self.name, self.color, self.values) = (name, color, values)
        }
    }

    /// One line of a line plot.
    public struct Series {
        public let name: String, color: String
        public let points: [(x: Double, y: Double)]

        public init(name: String, color: String, points: [(x: Double, y: Double)]) {
            (self.name, self.color, self.points) = (name, color, points)
        }
    }

    static let height = 240.0, top = 28.0, bottom = 64.0, left = 56.0

    /// A column per group with a dot per case (spread sideways by case order so equal values stay visible) and the
    /// median as a bar; the value axis covers `range` (nil: 0 to the largest value, rounded up).
    public static func strip(title: String, groups: [Strip], range: ClosedRange<Double>? = nil) -> String {
        let values = groups.flatMap { $0.values.map(\.value) }
        let axis = range ?? 0...niceCeiling(values.max() ?? 1)
        let columnWidth = 72.0, width = max(left + columnWidth * Double(max(1, groups.count)) + 16, left + 7.5 * Double(title.count))
        var svg = frame(width: width, title: title, axis: axis)
        for (g, group) in groups.enumerated() {
            let centre = left + columnWidth * (Double(g) + 0.5)
            for (i, point) in group.values.enumerated() {
                let spread = group.values.count > 1 ? (Double(i) / Double(group.values.count - 1) - 0.5) * columnWidth * 0.5 : 0
                svg += "<circle cx=\"\(f(centre + spread))\" cy=\"\(f(y(point.value, axis)))\" r=\"3.5\" fill=\"\(group.color)\" "
                    + "stroke=\"#333\" stroke-width=\"0.6\"><title>\(HTMLPage.escape("\(point.id): \(String(format: "%.4g", point.value))"))</title></circle>\n"
            }
            if let median = median(group.values.map(\.value)) {
                svg += "<line x1=\"\(f(centre - columnWidth * 0.35))\" x2=\"\(f(centre + columnWidth * 0.35))\" y1=\"\(f(y(median, axis)))\" "
                    + "y2=\"\(f(y(median, axis)))\" stroke=\"#000\" stroke-width=\"2\"><title>median \(String(format: "%.4g", median))</title></line>\n"
            }
            svg += "<text x=\"\(f(centre))\" y=\"\(f(height - bottom + 16))\" text-anchor=\"end\" font-size=\"11\" "
                + "transform=\"rotate(-30 \(f(centre)) \(f(height - bottom + 16)))\">\(HTMLPage.escape(group.name))</text>\n"
        }
        return svg + "</svg>"
    }

    /// Lines over a shared x axis (`xLabel`), the y axis covering `range` (nil: 0 to the largest value, rounded up).
    public static func lines(title: String, xLabel: String, series: [Series], range: ClosedRange<Double>? = nil) -> String {
        let all = series.flatMap(\.points)
        let axis = range ?? 0...niceCeiling(all.map(\.y).max() ?? 1)
        let xMax = max(1, all.map(\.x).max() ?? 1), plotWidth = 480.0, width = left + plotWidth + 16
        var svg = frame(width: width, title: title, axis: axis)
        func x(_ v: Double) -> Double { left + plotWidth * v / xMax }
        for s in series {
            let coordinates = s.points.map { "\(f(x($0.x))),\(f(y(min(max($0.y, axis.lowerBound), axis.upperBound), axis)))" }
            svg += "<polyline fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"1.5\" points=\"\(coordinates.joined(separator: " "))\">"
                + "<title>\(HTMLPage.escape(s.name))</title></polyline>\n"
            if s.points.count <= 60 {
                for p in s.points {
                    svg += "<circle cx=\"\(f(x(p.x)))\" cy=\"\(f(y(p.y, axis)))\" r=\"3\" fill=\"\(s.color)\"><title>"
                        + "\(HTMLPage.escape("\(s.name) at \(String(format: "%g", p.x)): \(String(format: "%.4g", p.y))"))</title></circle>\n"
                }
            }
        }
        for tick in ticks(0...xMax) {
            svg += "<text x=\"\(f(x(tick)))\" y=\"\(f(height - bottom + 16))\" text-anchor=\"middle\" font-size=\"11\">\(String(format: "%g", tick))</text>\n"
        }
        svg += "<text x=\"\(f(left + plotWidth / 2))\" y=\"\(f(height - bottom + 34))\" text-anchor=\"middle\" font-size=\"12\">\(HTMLPage.escape(xLabel))</text>\n"
        for (i, s) in series.enumerated() {
            svg += "<text x=\"\(f(left + 8 + Double(i) * 160))\" y=\"\(f(height - 8))\" font-size=\"12\" fill=\"\(s.color)\">\(HTMLPage.escape(s.name))</text>\n"
        }
        return svg + "</svg>"
    }

    /// The opening tag, title, value axis with grid lines and tick labels.
    static func frame(width: Double, title: String, axis: ClosedRange<Double>) -> String {
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"\(f(height))\" viewBox=\"0 0 \(f(width)) \(f(height))\">\n"
        svg += "<text x=\"\(f(left))\" y=\"18\" font-size=\"13\" font-weight=\"bold\">\(HTMLPage.escape(title))</text>\n"
        for tick in ticks(axis) {
            svg += "<line x1=\"\(f(left))\" x2=\"\(f(width - 8))\" y1=\"\(f(y(tick, axis)))\" y2=\"\(f(y(tick, axis)))\" stroke=\"#ddd\"/>\n"
            svg += "<text x=\"\(f(left - 6))\" y=\"\(f(y(tick, axis) + 4))\" text-anchor=\"end\" font-size=\"11\">\(String(format: "%g", tick))</text>\n"
        }
        return svg
    }

    static func y(_ value: Double, _ axis: ClosedRange<Double>) -> Double {
        let span = axis.upperBound - axis.lowerBound
        return height - bottom - (height - bottom - top) * (span > 0 ? (value - axis.lowerBound) / span : 0)
    }

    /// About five round tick values through `axis`.
    static func ticks(_ axis: ClosedRange<Double>) -> [Double] {
        let step = niceStep((axis.upperBound - axis.lowerBound) / 4)
        guard step > 0 else { return [axis.lowerBound] }
        var out: [Double] = [], v = (axis.lowerBound / step).rounded(.up) * step
        while v <= axis.upperBound + step * 1e-9 { out.append(v); v += step }
        return out
    }

    /// 1, 2, 2.5 or 5 times a power of ten, at least `raw`.
    static func niceStep(_ raw: Double) -> Double {
        guard raw > 0, raw.isFinite else { return 0 }
        let power = pow(10, (log10(raw)).rounded(.down))
        return ([1, 2, 2.5, 5, 10].first { $0 * power >= raw * (1 - 1e-9) } ?? 10) * power
    }

    static func niceCeiling(_ v: Double) -> Double {
        guard v > 0, v.isFinite else { return 1 }
        let step = niceStep(v / 4)
        return (v / step).rounded(.up) * step
    }

    static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let s = values.sorted(), n = s.count
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
    }

    static func f(_ v: Double) -> String { String(format: "%.1f", v) }
}
