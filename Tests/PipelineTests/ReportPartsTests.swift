import Foundation
import Imaging
import Testing
@testable import Pipeline
@testable import Volume

/// The parts of the previews and reports: label colours, the legend's text and volumes, the bitmap font, thumbnail
/// montages cropped to a label, escaped HTML, plot axes.
@Suite struct ReportPartsTests {
    @Test func labelColoursComeFromOneTable() {
        #expect(LabelColors.hex(1) == "#e6194b" && LabelColors.hex(2) == "#3cb44b")
        #expect(LabelColors.hex(13) == LabelColors.hex(1), "the table cycles after 12")
        let (r, g, b) = LabelColors.rgb(4)
        #expect(SliceRenderer.color(for: 4) == (Double(r), Double(g), Double(b)), "the overlays use the same colours")
    }

    @Test func legendEntriesCountEachLabelsVoxels() {
        let entries = LegendEntry.entries(labels: [0, 1, 1, 3, 3, 3, 0], voxelMM3: 2.5, names: [1: "liver"])
        #expect(entries == [LegendEntry(label: 1, name: "liver", volumeMM3: 5), LegendEntry(label: 3, name: nil, volumeMM3: 7.5)])
        #expect(LegendEntry(label: 6, name: "liver", volumeMM3: 1_215_034.4).text == "6 liver 1,215,034 mm3")
        // too long for its line: the name is cut, the volume kept
        let long = LegendEntry(label: 2, name: "oedema (whole tumour outside the core)", volumeMM3: 22_808)
        let fitted = Legend.fitted(long, width: 200, scale: 1)
        #expect(fitted.hasPrefix("2 oedema") && fitted.hasSuffix(".. 22,808 mm3") && BitmapFont.width(of: fitted, scale: 1) <= 200 - 21)
    }

    @Test func textIsDrawnFromTheGlyphs() {
        var canvas = RGBCanvas(width: 20, height: 10)
        canvas.write("L1", x: 1, y: 2, scale: 1, color: (255, 0, 0))
        for y in 0..<7 {
            for x in 0..<5 {
                #expect((canvas[x + 1, y + 2].0 == 255) == BitmapFont.isSet("L", x: x, y: y), "L at (\(x), \(y))")
                #expect((canvas[x + 7, y + 2].0 == 255) == BitmapFont.isSet("1", x: x, y: y), "1 at (\(x), \(y))")
            }
        }
        #expect(BitmapFont.isSet("l", x: 0, y: 6) == BitmapFont.isSet("L", x: 0, y: 6), "lower case drawn as capitals")
        // a legend under a grid: the canvas grows by its lines, the swatch has the label's colour
        let panel = Panel(image: ImageSlice(width: 40, height: 30, pixels: [Float](repeating: 0.5, count: 1200)))
        let legend = [LegendEntry(label: 3, name: "kidney", volumeMM3: 10), LegendEntry(label: 4, name: "aorta", volumeMM3: 20)]
        let drawn = SliceRenderer.canvas(grid: [[panel]], legend: legend)
        #expect(drawn.width == 40 && drawn.height == 30 + Legend.height(legend, width: 40))
        #expect(Legend.layout(legend, width: 40, scale: 1).lines == 2, "one entry a line at 40 pixels")
        #expect(drawn[5, 30 + 5] == LabelColors.rgb(3))
    }

    @Test func thumbnailsAreCroppedToTheirLabel() throws {
        // 100 x 60 x 3 volume, 1 x 1 x 2 mm; label 1 a 10 x 4 block at x 20...29, y 30...33 on slices 0 and 1
        var labels = [Float](repeating: 0, count: 100 * 60 * 3)
        for k in 0...1 { for y in 30...33 { for x in 20...29 { labels[(k * 60 + y) * 100 + x] = 1 } } }
        let lps = Affine(rows: [[-1, 0, 0, 0], [0, -1, 0, 0], [0, 0, 2, 0], [0, 0, 0, 1]])
        func volume(_ v: [Float]) -> CanonicalVolume {
            Volume(shape: [100, 60, 3], affine: lps, voxels: v, header: .from(affine: lps),
                   source: VolumeSource(path: "synthetic", format: "test", datatype: .float32)).canonical()
        }
        let image = volume([Float](repeating: 0.5, count: labels.count))
        let montage = Montage(volume: image, labels: volume(labels), count: 2, thumbnail: 50)
        #expect(montage.rows.count == 1 && montage.rows[0].slices == [0, 1])
        // the 10 x 4 box widened by 8 voxels a side (30% of 10 is less): 26 x 20, scaled to 50 pixels wide
        let panel = montage.rows[0].panels[0]
        #expect(panel.image.width == 50 && panel.image.height == 38)
        let overlay = try #require(panel.overlay)
        #expect(overlay[19, 25] == 1 && overlay[0, 0] == 0, "the label in the middle of its crop")
        let whole = Montage(volume: image, labels: volume(labels), count: 2)
        #expect(whole.rows[0].panels[0].image.width == 100 && whole.rows[0].panels[0].image.height == 60)
    }

    @Test func htmlTextIsEscapedAndTheTableSortsByItsValues() {
        #expect(HTMLPage.escape("a<b & \"c\">") == "a&lt;b &amp; &quot;c&quot;&gt;")
        var table = HTMLTable(headers: ["Case", "Dice"])
        table.rows.append([.text("x<y"), .number(nil, missing: -1)])
        #expect(table.html.contains("<td data-v=\"x&lt;y\" class=\"text\">x&lt;y</td><td data-v=\"-1.0\">n/a</td>"))
    }

    @Test func plotAxesHaveRoundTicks() {
        #expect(SVGPlot.ticks(0...1) == [0, 0.25, 0.5, 0.75, 1])
        #expect(SVGPlot.niceCeiling(37.2) == 40 && SVGPlot.ticks(0...40) == [0, 10, 20, 30, 40])
        #expect(SVGPlot.median([3, 1, 2, 10]) == 2.5)
        let svg = SVGPlot.strip(title: "Dice", groups: [.init(name: "liver", color: "#911eb4", values: [("a", 0.9), ("b", 0.8)])], range: 0...1)
        #expect(svg.components(separatedBy: "<circle").count == 3 && svg.contains("fill=\"#911eb4\"") && svg.contains("<title>a: 0.9</title>"))
    }
}
