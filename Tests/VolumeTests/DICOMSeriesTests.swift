import Foundation
import Testing
@testable import Volume

/// Real DICOM series from ../shared/data (skipped when absent).
@Suite struct DICOMSeriesTests {
    @Test func jpeg2000SeriesGeometryAndHU() throws {
        guard let path = TestPaths.shared("totalsegmentator/example_ct_dicom") else { return }
        let volume = try VolumeLoader.load(path: path)
        #expect(volume.shape == [512, 512, 20])
        #expect(abs(volume.spacing.x - 0.9765625) < 1e-5 && abs(volume.spacing.y - 0.9765625) < 1e-5)
        #expect(abs(volume.spacing.z - 2.0) < 1e-4, "slice step from positions, not SliceThickness (3)")
        // First slice position (-249.51, -437.51, -804.5) in LPS is (249.51, 437.51, -804.5) in RAS.
        let origin = volume.affine.apply(SIMD3(0, 0, 0))
        #expect(abs(origin.x - 249.51171875) < 1e-3 && abs(origin.y - 437.51171875) < 1e-3 && abs(origin.z + 804.5) < 1e-3)
        #expect(volume.orientation.codes == "LPS")
        let range = volume.range
        #expect(range.min == -1024, "HU = stored - 1024; air at -1024")
        #expect(range.max > 1000 && range.max < 3100)
        #expect(Normalization.detectModality(volume).modality == .ct)
        #expect(volume.source.dicomModality == "CT")
    }

    @Test func seriesLinesUpWithItsMaskInWorldSpace() throws {
        guard let path = TestPaths.shared("totalsegmentator/example_ct_dicom"),
              let maskPath = TestPaths.shared("totalsegmentator/example_seg_dicom.nii.gz") else { return }
        let ct = try VolumeLoader.load(path: path).canonical()
        let mask = try VolumeLoader.load(path: maskPath)
        #expect(mask.orientation.codes == "LAS")
        let canonicalMask = mask.canonical()
        #expect(canonicalMask.shape == ct.shape)
        #expect(canonicalMask.affine.maxDifference(ct.affine) < 1e-3, "same world grid after canonicalization")
        // Inside the organs the CT holds soft tissue; with the rows flipped it would not.
        var inside = 0.0, insideCount = 0.0, flipped = 0.0
        let (w, h) = (ct.width, ct.height)
        for k in 0..<ct.sliceCount {
            for j in 0..<h {
                for i in 0..<w where canonicalMask.voxels[i + w * (j + h * k)] == 5 {  // liver in the "total" map
                    inside += Double(ct.voxels[i + w * (j + h * k)])
                    flipped += Double(ct.voxels[i + w * ((h - 1 - j) + h * k)])
                    insideCount += 1
                }
            }
        }
        #expect(insideCount > 1000)
        let liverHU = inside / insideCount
        #expect(liverHU > 20 && liverHU < 90, "mean liver HU \(liverHU)")
        #expect(abs(flipped / insideCount - liverHU) > 50, "a misaligned overlay would differ")
    }

    @Test func liverIsOnTheImageLeftInRadiologicalDisplay() throws {
        guard let maskPath = TestPaths.shared("totalsegmentator/example_seg_dicom.nii.gz") else { return }
        let mask = try VolumeLoader.load(path: maskPath).canonical()
        let k = mask.sliceCount / 2
        let slice = mask.slice(k)
        var columns = 0.0, rows = 0.0, count = 0.0
        for r in 0..<slice.height { for c in 0..<slice.width where slice[r, c] == 5 { columns += Double(c); rows += Double(r); count += 1 } }
        #expect(count > 0)
        #expect(columns / count < Double(slice.width) / 2, "patient right (liver) is on the image left")
        #expect(rows / count < Double(slice.height) * 0.6, "the liver is anterior (upper part of the image)")
    }

    @Test func uncompressedSeriesWithPaddingValue() throws {
        guard let path = TestPaths.shared("dcmqi/ct-3slice") else { return }
        let series = try DICOMSeriesReader.listSeries(path: path)
        #expect(series.count == 1 && series[0].fileCount == 3)
        let volume = try VolumeLoader.load(path: path + "/02.dcm")
        #expect(volume.shape == [512, 512, 3])
        #expect(abs(volume.spacing.x - 0.810547) < 1e-5 && abs(volume.spacing.z - 1.0) < 1e-4)
        #expect(volume.range.min == -3024)
        let origin = volume.affine.apply(SIMD3(0, 0, 0))
        #expect(abs(origin.x - 235.2) < 1e-3 && abs(origin.y - 226.8) < 1e-3 && abs(origin.z + 128.69) < 1e-3)
    }

    @Test func unevenlySpacedSeriesIsAClearError() throws {
        guard let path = TestPaths.shared("monai/CT_DICOM") else { return }
        do {
            _ = try VolumeLoader.load(path: path)
            Issue.record("uneven spacing was not reported")
        } catch let error as VolumeError {
            #expect(error.path == path)
            #expect(error.problem.contains("unevenly spaced"))
        }
    }

    @Test func unknownSeriesUIDIsAnError() throws {
        guard let path = TestPaths.shared("dcmqi/ct-3slice") else { return }
        #expect(throws: VolumeError.self) { try VolumeLoader.load(path: path, options: .init(seriesUID: "1.2.3")) }
    }

    @Test func convertedSeriesKeepsGeometry() throws {
        guard let path = TestPaths.shared("dcmqi/ct-3slice") else { return }
        let folder = TemporaryFolder()
        let volume = try VolumeLoader.load(path: path)
        let out = folder.file("ct.nii.gz")
        try NIfTIWriter.write(voxels: volume.voxels, shape: volume.shape, header: volume.header,
                              datatype: NIfTIWriter.exactDatatype(for: volume.voxels), to: out)
        let back = try VolumeLoader.load(path: out)
        #expect(back.voxels == volume.voxels)
        #expect(back.affine.maxDifference(volume.affine) < 1e-4)
        #expect(back.header.qformAffine.maxDifference(volume.affine) < 1e-4)
        #expect(back.source.datatype == .int16)
    }
}
