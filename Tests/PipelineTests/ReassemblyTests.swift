import Foundation
import Testing
@testable import Pipeline
import Metrics
@testable import Volume

/// Segmentations go back to the input's own grid and header: LAS oblique, LPS, sagittal and NIfTI-2 inputs.
@Suite struct ReassemblyTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let inputs = [
        "sample-data/ct_abdomen.nii.gz",  // LAS grid rotated 6 degrees (oblique sform and qform)
        "Tests/VolumeTests/Fixtures/geometry/lps_int32_bigendian.nii",
        "Tests/VolumeTests/Fixtures/geometry/psr_sagittal_uint16.nii.gz",
        "Tests/VolumeTests/Fixtures/geometry/nifti2_float64_oblique.nii.gz",
        "Tests/VolumeTests/Fixtures/geometry/qform_only_qfac_neg_float32.nii",
    ]

    @Test(arguments: inputs) func outputKeepsTheInputGridAndHeader(_ relative: String) throws {
        let input = try NIfTIReader.read(path: Self.repository.appendingPathComponent(relative).path)
        let volume = input.canonical()
        // a label per canonical voxel that encodes its canonical index, so any misplacement shows
        var labels = [UInt16](repeating: 0, count: volume.voxels.count)
        for k in 0..<volume.sliceCount {
            for j in 0..<volume.height {
                for i in 0..<volume.width { labels[i + volume.width * (j + volume.height * k)] = UInt16(1 + (i * 7 + j * 3 + k * 5) % 200) }
            }
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("volsam-reassembly-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/out.nii.gz"
        try SegmentationOutput.writeLabelMap(SegmentationOutput.sourceLabels(labels, volume: volume), volume: volume, to: path)
        let written = try NIfTIReader.read(path: path)
        #expect(written.shape == input.shape)
        #expect(written.header == input.header, "\(relative): header differs")
        #expect(written.affine.maxDifference(input.affine) < 1e-6)
        for p in [[0, 0, 0], [input.shape[0] - 1, 0, 0], [1, input.shape[1] - 1, input.shape[2] - 1], input.shape.map { $0 / 2 }] {
            let q = volume.reorientation.canonicalIndex(ofSource: p)
            #expect(written[p[0], p[1], p[2]] == Float(1 + (q[0] * 7 + q[1] * 3 + q[2] * 5) % 200), "\(relative) at \(p)")
        }
        let names = try SegmentationOutput.writeLabelNames([(1, "liver"), (2, nil)], nextTo: path)
        #expect(names == folder + "/out.labels.json")
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: names))) as? [String: [String: String]]
        #expect(object == ["1": ["name": "liver", "color": "#e6194b"], "2": ["name": "label_2", "color": "#3cb44b"]])
        #expect(try LabelNames.read(names) == [1: "liver", 2: "label_2"], "the written JSON reads back as label names")
    }

    @Test func keepLargestLeavesOneComponentPerLabel() {
        // 6 x 4 x 2: label 1 has a 3-voxel and a 1-voxel component, label 2 two single voxels (the first is kept)
        var labels = [UInt16](repeating: 0, count: 48)
        for i in [0, 1, 2] { labels[i] = 1 }
        labels[5 + 6 * 3] = 1
        labels[4] = 2
        labels[24 + 6 * 2 + 3] = 2
        labels[24 + 0] = 1  // touches voxel 0 through the slice axis
        let removed = LargestComponent.keep(&labels, shape: [6, 4, 2])
        #expect(removed == 2)
        #expect(labels.enumerated().filter { $0.element == 1 }.map(\.offset) == [0, 1, 2, 24])
        #expect(labels.enumerated().filter { $0.element == 2 }.map(\.offset) == [4])
    }
}
