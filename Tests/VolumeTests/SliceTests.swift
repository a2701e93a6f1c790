import Foundation
import Imaging
import Testing
@testable import Volume

@Suite struct SliceTests {
    static func canonicalRamp(shape: [Int]) -> CanonicalVolume {
        let lps = Affine(rows: [[-1, 0, 0, 0], [0, -1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]])
        let voxels = (0..<shape.reduce(1, *)).map(Float.init)
        return Volume(shape: shape, affine: lps, voxels: voxels, header: .from(affine: lps),
                      source: VolumeSource(path: "ramp", format: "synthetic", datatype: .float32)).canonical()
    }

    @Test func slicesAreRowsOfAxis1AndColumnsOfAxis0() {
        let v = Self.canonicalRamp(shape: [4, 3, 2])
        let s = v.slice(1)
        #expect(s.width == 4 && s.height == 3)
        #expect(s[0, 0] == 12 && s[0, 3] == 15 && s[2, 0] == 20)
    }

    @Test func stacksRepeatEdgeSlices() {
        let v = Self.canonicalRamp(shape: [2, 2, 5])
        #expect(v.stack(center: 0, depth: 3).sliceIndices == [0, 0, 1])
        #expect(v.stack(center: 4, depth: 4).sliceIndices == [2, 3, 4, 4])
        let stack = v.stack(center: 2, depth: 3)
        #expect(stack.slice(at: 1) == v.slice(2))
    }

    @Test func slicesTakenBackLandOnTheSourceGrid() throws {
        let volume = try NIfTIReader.read(path: TestPaths.geometryFixtures + "/psr_sagittal_uint16.nii.gz")
        let canonical = volume.canonical()
        let slices = (0..<canonical.sliceCount).flatMap { canonical.slice($0).pixels }
        #expect(canonical.toSourceGrid(slices) == volume.voxels)
    }

    @Test func bilinearMatchesTorchAlignCornersFalse() {
        let image = ImageSlice(width: 2, height: 2, pixels: [1, 2, 3, 4])
        let up = SliceResize.bilinear(image, width: 4, height: 4)
        // torch.nn.functional.interpolate(x, size=(4, 4), mode="bilinear", align_corners=False)
        #expect(up.pixels == [1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4])
        let down = SliceResize.bilinear(ImageSlice(width: 4, height: 1, pixels: [0, 1, 2, 3]), width: 2, height: 1)
        #expect(down.pixels == [0.5, 2.5])
    }
}
