import Foundation
import Testing
@testable import Pipeline
@testable import Volume

/// The synthetic sample scans are deterministic, labelled with the promised ids, and geometrically non-trivial.
@Suite struct PhantomTests {
    static let sampleData = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("sample-data").path

    @Test func committedSampleDataIsWhatTheGeneratorWrites() throws {
        let ct = AbdomenPhantom.make()
        let mr = BrainPhantom.make()
        for (file, expected) in [("ct_abdomen.nii.gz", ct.image), ("ct_abdomen_labels.nii.gz", ct.labels),
                                 ("mr_brain_flair.nii.gz", mr.image), ("mr_brain_labels.nii.gz", mr.labels)] {
            let committed = try NIfTIReader.read(path: Self.sampleData + "/" + file)
            #expect(committed.shape == expected.shape, "\(file)")
            #expect(committed.affine.maxDifference(expected.affine) < 1e-4, "\(file)")
            let mismatches = zip(committed.voxels, expected.voxels).filter { $0 != $1 }.count
            #expect(mismatches == 0, "\(file): \(mismatches) voxels differ; run `make phantom`")
        }
    }

    @Test func abdomenHasTheSynapseOrgansWithRealisticHU() {
        let ct = AbdomenPhantom.make()
        let present = Set(ct.labels.voxels.map { Int($0) })
        #expect(present == [0, 1, 2, 3, 4, 6, 7, 8, 11])
        #expect(ct.image.orientation.codes == "LAS")
        #expect(abs(ct.image.spacing.x - 2.2) < 1e-9 && abs(ct.image.spacing.z - 5) < 1e-9)
        #expect(ct.image.affine[0, 1] != 0, "oblique (rotated) affine")
        func meanHU(_ label: Int) -> Double {
            let values = zip(ct.image.voxels, ct.labels.voxels).filter { Int($0.1) == label }.map { Double($0.0) }
            return values.reduce(0, +) / Double(values.count)
        }
        #expect(abs(meanHU(6) - 108) < 5, "liver")
        #expect(meanHU(8) > 170, "contrast-filled aorta")
        #expect(Normalization.detectModality(ct.image).modality == .ct)
        // Patient right (liver) is on the image left in the processing layout.
        let canonical = ct.labels.canonical()
        let slice = canonical.slice(canonical.sliceCount / 2 + 4)
        var liverColumns = 0.0, count = 0.0
        for r in 0..<slice.height { for c in 0..<slice.width where slice[r, c] == 6 { liverColumns += Double(c); count += 1 } }
        #expect(count > 0 && liverColumns / count < Double(slice.width) / 2)
    }

    @Test func brainHasABraTSLesionBrightOnFLAIR() {
        let mr = BrainPhantom.make()
        #expect(Set(mr.labels.voxels.map { Int($0) }) == [0, 1, 2, 4])
        #expect(mr.image.header.sformCode == 0 && mr.image.header.qformCode == 1)
        #expect(mr.image.orientation.codes == "RAS")
        let oedema = zip(mr.image.voxels, mr.labels.voxels).filter { $0.1 == 2 }.map { Double($0.0) }
        let brain = zip(mr.image.voxels, mr.labels.voxels).filter { $0.1 == 0 && $0.0 > 380 && $0.0 < 600 }.count
        #expect(oedema.reduce(0, +) / Double(oedema.count) > 800)
        #expect(brain > 10000)
        #expect(Normalization.detectModality(mr.image).modality == .mr)
    }

    @Test func samePhantomForTheSameSeed() {
        #expect(BrainPhantom.make(seed: 7).image.voxels == BrainPhantom.make(seed: 7).image.voxels)
        #expect(BrainPhantom.make(seed: 7).image.voxels != BrainPhantom.make(seed: 8).image.voxels)
    }
}
