import Foundation
import Metrics
import Volume

/// `volsam segment --report DIR`: DIR/index.html and DIR/montage.png for one written segmentation: what ran, the
/// montage, and per label its volume and (with a reference) Dice and HD95, worst Dice first.
public enum CaseReportPage {
    /// Writes the page and its montage; returns the files written.
    public static func write(_ report: CaseReport, reference: String?, reading: ImageReading, folder: String) throws -> [String] {
        try AtomicOutput.createFolder(folder)
        let names = Dictionary(report.labels.map { ($0.id, $0.name ?? "label_\($0.id)") }, uniquingKeysWith: { a, _ in a })
        let montage = try CaseMontage.make(image: report.image, labelMap: report.output, reference: reference, labels: names, reading: reading)
        let (pagePath, montagePath) = (folder + "/index.html", folder + "/montage.png")
        try AtomicOutput.write(montage.png, to: montagePath)
        var page = HTMLPage(title: "VolSAM segmentation: " + (report.image as NSString).lastPathComponent)
        page.paragraph("Image \(report.image); label map \(report.output)" + (reference.map { "; reference \($0)" } ?? ""))
        page.paragraph("\(report.modality); propagation \(report.propagation.rawValue); \(report.result.encodedSlices) encoder runs, "
                       + "\(report.result.decodedPrompts) prompts, \(String(format: "%.1f", report.result.totalSeconds)) s", cssClass: "note")
        page.heading("Labels")
        page.markup(labelTable(report.labels, legend: montage.legend, metrics: report.metrics, voxelMM3: montage.voxelMM3).html)
        page.heading("Montage")
        page.paragraph("Per label \(CaseMontage.slicesPerLabel) axial slices through its extent, cropped to it; outlines of the label map"
                       + (reference == nil ? "." : ", the reference's in white."), cssClass: "note")
        page.markup("<img class=\"montage\" src=\"montage.png\" alt=\"montage of the labels\"/>")
        try page.write(to: pagePath)
        return [pagePath, montagePath]
    }

    /// Label, name, volume of the written map and, when scored, the reference's volume, Dice and HD95 (worst Dice
    /// first); `paint`: the label-map value a scored label is drawn with when it differs (BraTS regions).
    static func labelTable(_ labels: [(id: Int, name: String?)], legend: [LegendEntry], metrics: [LabelMetrics]?, voxelMM3: Double,
                           paint: [Int: Int] = [:]) -> HTMLTable {
        var table = HTMLTable(headers: ["Label", "Name", "Volume (mm3)"] + (metrics == nil ? [] : ["Reference (mm3)", "Dice", "HD95"]))
        let volumes = Dictionary(legend.map { ($0.label, $0.volumeMM3) }, uniquingKeysWith: { a, _ in a })
        if let metrics {
            for m in metrics.sorted(by: { ($0.dice ?? -1) < ($1.dice ?? -1) }) {
                table.rows.append([swatch(paint[m.label] ?? m.label, m.label), .text(m.name ?? "label_\(m.label)"),
                                   .number(Double(m.predVoxels) * voxelMM3, format: "%.0f", missing: 0),
                                   .number(Double(m.gtVoxels) * voxelMM3, format: "%.0f", missing: 0),
                                   .number(m.dice, missing: -1, bad: (m.dice ?? 0) < 0.5), .number(m.hd95, format: "%.2f", missing: 1e9)])
            }
        } else {
            for l in labels {
                table.rows.append([swatch(l.id, l.id), .text(l.name ?? "label_\(l.id)"), .number(volumes[l.id] ?? 0, format: "%.0f", missing: 0)])
            }
        }
        return table
    }

    /// The label id `shown` with the colour of label-map value `value`.
    static func swatch(_ value: Int, _ shown: Int) -> HTMLTable.Cell {
        HTMLTable.Cell(markup: "<span class=\"swatch\" style=\"background: \(LabelColors.hex(value))\"></span>\(shown)",
                       sortValue: String(shown), cssClass: "text")
    }
}
