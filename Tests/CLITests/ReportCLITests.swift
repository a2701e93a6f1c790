import Foundation
import Testing
import Volume

/// `volsam segment --report` and `volsam batch --report`: the pages parse, every file they refer to exists, the
/// numbers are the run's, a failing case is listed first; the batch page as headless Chromium renders it.
@Suite(.serialized) struct ReportCLITests {
    let cli = CLITests()

    @Test func segmentReportOnTheDemoCT() throws {
        let folder = SegmentCLITests.temporary("segment-report")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let r = try cli.run(["segment", "sample-data/ct_abdomen.nii.gz", "--prompts-from", "sample-data/ct_abdomen_labels.nii.gz",
                             "--label-names", "sample-data/ct_abdomen_labels.json", "-o", folder + "/seg.nii.gz",
                             "--report", folder + "/report", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let files = json["files"] as? [String] ?? []
        #expect(files.contains(folder + "/report/index.html") && files.contains(folder + "/report/montage.png"), "\(files)")
        let page = try HTMLCheck(path: folder + "/report/index.html")
        #expect(page.error == nil, "\(page.error ?? "")")
        #expect(page.references == ["montage.png"])
        #expect(page.rows == 1 + 8, "a header and a row per organ")
        // the page's Dice values are the run's, worst first
        let metrics = (json["metrics"] as? [[String: Any]] ?? []).compactMap { m in (m["dice"] as? Double).map { (m["name"] as? String ?? "", $0) } }
        #expect(metrics.count == 8)
        for (name, dice) in metrics { #expect(page.text.contains(String(format: "%.4f", dice)), "\(name)'s Dice") }
        let worst = try #require(metrics.min { $0.1 < $1.1 })
        let rowsText = page.text.components(separatedBy: "HD95").last ?? ""
        #expect(rowsText.range(of: worst.0)?.lowerBound == metrics.map { rowsText.range(of: $0.0)!.lowerBound }.min(), "worst Dice first")
        let size = try #require(PNGPixels(path: folder + "/report/montage.png"))
        #expect(size.width == 5 * 112 + 4 * 4, "five panels of 112 pixels and their gaps: \(size.width) x \(size.height)")
        #expect(size.height > 8 * 112, "a row per organ and the legend: \(size.width) x \(size.height)")
    }

    @Test func batchReportWithAFailingCase() throws {
        guard FileManager.default.fileExists(atPath: BraTSBatchCLITests.data + "/brats2015") else {
            print("skipped: ../shared/data/brats2015 is not here")
            return
        }
        let root = SegmentCLITests.temporary("report-brats"), out = SegmentCLITests.temporary("report-brats-out")
        defer {
            try? FileManager.default.removeItem(atPath: root)
            try? FileManager.default.removeItem(atPath: out)
        }
        for patient in ["pat0005", "pat0006"] {
            try BraTSBatchCLITests.writeCase(BraTSBatchCLITests.brats2015(patient, enhancing: 4), to: root, id: "BraTS2021_0\(patient.suffix(4))",
                                             imageSuffix: "_flair", segSuffix: "_seg", slices: 9)
        }
        // a third case whose image is cut short
        try FileManager.default.createDirectory(atPath: root + "/BraTS2021_09999", withIntermediateDirectories: true)
        let good = try Data(contentsOf: URL(fileURLWithPath: root + "/BraTS2021_00005/BraTS2021_00005_flair.nii.gz"))
        try good.prefix(good.count / 2).write(to: URL(fileURLWithPath: root + "/BraTS2021_09999/BraTS2021_09999_flair.nii.gz"))
        try FileManager.default.copyItem(atPath: root + "/BraTS2021_00005/BraTS2021_00005_seg.nii.gz",
                                         toPath: root + "/BraTS2021_09999/BraTS2021_09999_seg.nii.gz")
        let r = try cli.run(["batch", root, "-o", out, "--targets", "wt,tc", "--report", "--quiet"])
        #expect(r.status == 1, "the failed case makes the batch exit 1: \(r.stderr)")
        #expect(r.stdout.contains(out + "/report/index.html"), "\(r.stdout)")
        let index = out + "/report/index.html"
        let page = try HTMLCheck(path: index)
        #expect(page.error == nil, "\(page.error ?? "")")
        for file in page.references { #expect(FileManager.default.fileExists(atPath: out + "/report/" + file), "\(file) is referred to") }
        #expect(Set(page.references) == ["BraTS2021_00005.png", "BraTS2021_00006.png"])
        #expect(page.rows == 1 + 3, "a header and a row per case")
        #expect(page.circles == 2 * 2 * 2, "a dot per case in the Dice and HD95 plots of both regions")
        let html = try String(contentsOfFile: index, encoding: .utf8)
        let failed = try #require(html.range(of: "class=\"fail\">failed: "))
        #expect(html.range(of: "BraTS2021_09999")!.lowerBound < html.range(of: "BraTS2021_00005\"")!.lowerBound, "the failure first")
        #expect(html[failed.upperBound...].hasPrefix(root + "/BraTS2021_09999"), "the error names the file")
        for id in ["00005", "00006"] {
            let size = try #require(PNGPixels(path: out + "/report/BraTS2021_\(id).png"))
            // panels cropped to the tumour, 112 pixels on their longer side
            #expect(size.width <= 5 * 112 + 4 * 4 && size.width > 5 * 56 && size.height > 2 * 112 + 4, "two regions of five slices: \(size.width) x \(size.height)")
        }
        try screenshot(index, in: out)
    }

    /// Headless Chromium renders the page: the screenshot shows the whole-tumour colour (its dots and outlines).
    func screenshot(_ page: String, in folder: String) throws {
        let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let chromium else {
            print("skipped: the screenshot test needs Chromium (apt-get install chromium)")
            return
        }
        let shot = folder + "/screenshot.png"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromium)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1280,1400",
                             "--screenshot=" + shot, URL(fileURLWithPath: page).absoluteString]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        let image = try #require(PNGPixels(path: shot), "Chromium wrote no screenshot (exit \(process.terminationStatus))")
        #expect(image.width == 1280 && image.height == 1400)
        #expect(image.count((60, 180, 75)) > 50, "the whole tumour's colour (label 2) in the rendered page")
        #expect(image.count((250, 250, 250)) > image.width * image.height / 4, "the page's background")
    }
}
