import Foundation
import Testing
@testable import Volume

@Suite struct NormalizationTests {
    @Test func ctWindowClipsThenMinMax() {
        let out = Normalization.normalize([-1000, -125, 75, 275, 2000], window: .ctAbdomen)
        #expect(out == [0, 0, 0.5, 1, 1])
    }

    @Test func minMaxAndConstantVolumes() {
        #expect(Normalization.normalize([2, 4, 6], window: .minMax) == [0, 0.5, 1])
        #expect(Normalization.normalize([3, 3], window: .minMax) == [0, 0])
        #expect(Normalization.normalize([0, 10, 20], window: .levelWidth(10, 10)) == [0, 0.5, 1])
    }

    @Test func percentileClippingUsesNonZeroVoxels() {
        let voxels = [Float](repeating: 0, count: 500) + (1...1000).map(Float.init)
        let out = Normalization.normalize(voxels, window: .percentiles(lo: 0.5, hi: 99.5))
        // numpy.percentile of 1...1000 at 0.5 and 99.5: 5.995 and 995.005
        #expect(abs(Normalization.percentile(sorted: (1...1000).map(Float.init), 0.5) - 5.995) < 1e-9)
        #expect(out[0] == 0 && out.last == 1)
        #expect(abs(out[500 + 499] - Float((500 - 5.995) / (995.005 - 5.995))) < 1e-6)
    }

    @Test func modalityFromIntensities() {
        let header = SpatialHeader.from(affine: .identity)
        func volume(_ v: [Float]) -> Volume {
            Volume(shape: [v.count, 1, 1], affine: .identity, voxels: v, header: header,
                   source: VolumeSource(path: "x.nii", format: "NIfTI-1", datatype: .int16))
        }
        #expect(Normalization.detectModality(volume([-1024, -1000, 40, 60, 900] + [Float](repeating: -1000, count: 20))).modality == .ct)
        #expect(Normalization.detectModality(volume([0, 10, 300, 900])).modality == .mr)
        #expect(Normalization.detectModality(volume([-2.5, -1, 0, 3])).modality == .mr, "z-scored MRI is not CT")
    }
}
