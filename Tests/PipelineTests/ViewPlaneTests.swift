import Foundation
import Imaging
import Testing
@testable import Pipeline
@testable import Volume

/// The preview's three views: orientation, proportions from the spacing, outlines.
@Suite struct ViewPlaneTests {
    /// A 4 x 3 x 2 LPS volume, spacing 1 x 2 x 3 mm, zero except voxel (1, 2, 0) = 5 and (3, 0, 1) = 7.
    static func volume() -> CanonicalVolume {
        var voxels = [Float](repeating: 0, count: 24)
        voxels[(0 * 3 + 2) * 4 + 1] = 5
        voxels[(1 * 3 + 0) * 4 + 3] = 7
        let lps = Affine(rows: [[-1, 0, 0, 0], [0, -2, 0, 0], [0, 0, 3, 0], [0, 0, 0, 1]])
        return Volume(shape: [4, 3, 2], affine: lps, voxels: voxels, header: .from(affine: lps),
                      source: VolumeSource(path: "synthetic", format: "test", datatype: .float32)).canonical()
    }

    @Test func planesAreInRadiologicalDisplayOrientation() {
        let v = Self.volume()
        let axial = v.plane(.axial, index: 0)
        #expect(axial.image.width == 4 && axial.image.height == 3 && axial.image[2, 1] == 5)  // row = posterior index
        #expect(axial.columnMM == 1 && axial.rowMM == 2)
        // coronal through j = 2: columns = patient's right to left (axis 0), rows = superior (k = 1) first
        let coronal = v.plane(.coronal, index: 2)
        #expect(coronal.image.width == 4 && coronal.image.height == 2 && coronal.image[1, 1] == 5 && coronal.image[0, 1] == 0)
        #expect(coronal.columnMM == 1 && coronal.rowMM == 3)
        // sagittal through i = 3: columns = anterior (j = 0) to posterior, rows = superior first
        let sagittal = v.plane(.sagittal, index: 3)
        #expect(sagittal.image.width == 3 && sagittal.image.height == 2 && sagittal.image[0, 0] == 7)
        #expect(sagittal.columnMM == 2 && sagittal.rowMM == 3)
        #expect(v.planeCount(.coronal) == 3 && v.planeCount(.sagittal) == 4 && v.planeCount(.axial) == 2)
    }

    @Test func squarePixelsKeepTheProportionsOfTheSpacing() {
        let coronal = Self.volume().plane(.coronal, index: 2)
        // 4 mm wide, 6 mm tall at 1 mm a pixel: every voxel a 1 x 3 block
        let square = SquarePixels.resample(coronal.image, columnMM: coronal.columnMM, rowMM: coronal.rowMM, pixelMM: 1)
        #expect(square.width == 4 && square.height == 6)
        #expect((0..<6).map { square[$0, 1] } == [0, 0, 0, 5, 5, 5])
        let sagittal = Self.volume().plane(.sagittal, index: 3)
        let half = SquarePixels.resample(sagittal.image, columnMM: sagittal.columnMM, rowMM: sagittal.rowMM, pixelMM: 0.5)
        #expect(half.width == 12 && half.height == 12)
    }

    @Test func outlinesAreTheLabelsBoundaryPixels() {
        // a 5 x 5 square of label 2 inside a 7 x 7 image: its 16 ring pixels; a 2 x 2 block of label 3 in the
        // corner touches the image's edge and label 2's square: all 4 of its pixels
        var pixels = [Float](repeating: 0, count: 49)
        for y in 1...5 { for x in 1...5 { pixels[y * 7 + x] = 2 } }
        for y in 5...6 { for x in 5...6 { pixels[y * 7 + x] = 3 } }
        let edges = SliceRenderer.outlinePixels(ImageSlice(width: 7, height: 7, pixels: pixels))
        var expected = Set<Int>()
        for y in 1...5 { for x in 1...5 where (x == 1 || x == 5 || y == 1 || y == 5) && !(x == 5 && y == 5) { expected.insert(y * 7 + x) } }
        expected.formUnion([5 * 7 + 5, 5 * 7 + 6, 6 * 7 + 5, 6 * 7 + 6])
        #expect(edges == expected)
        // outline mode colours exactly those pixels
        let rgb = SliceRenderer.rgb(ImageSlice(width: 7, height: 7, pixels: [Float](repeating: 0, count: 49)),
                                    labels: ImageSlice(width: 7, height: 7, pixels: pixels), outline: true)
        let coloured = Set((0..<49).filter { rgb[$0 * 3] != 0 || rgb[$0 * 3 + 1] != 0 || rgb[$0 * 3 + 2] != 0 })
        #expect(coloured == expected)
    }

    @Test func panelsSitSideBySide() {
        let a = ImageSlice(width: 3, height: 2, pixels: [Float](repeating: 1, count: 6))
        let b = ImageSlice(width: 2, height: 4, pixels: [Float](repeating: 1, count: 8))
        let png = SliceRenderer.png(panels: [Panel(image: a), Panel(image: b)], gap: 4)
        let header = [UInt8](png[16..<24])  // IHDR width and height
        #expect(header == [0, 0, 0, 9, 0, 0, 0, 4])
    }

    @Test func montageSlicesAreEvenlySpacedThroughEachLabel() {
        #expect(Montage.slices(through: 2...10, count: 5) == [2, 4, 6, 8, 10])
        #expect(Montage.slices(through: 3...3, count: 4) == [3])
        #expect(Montage.slices(through: 0...9, count: 1) == [4])
        #expect(Montage.slices(through: 0...20, count: 3) == [0, 10, 20])
        // label 2 on slices 1...3, label 5 on slice 5 of a 4 x 3 x 6 volume (spacing 1 x 2 x 3 mm)
        var labels = [Float](repeating: 0, count: 72)
        for k in 1...3 { labels[k * 12 + 4] = 2 }
        labels[5 * 12 + 7] = 5
        let lps = Affine(rows: [[-1, 0, 0, 0], [0, -2, 0, 0], [0, 0, 3, 0], [0, 0, 0, 1]])
        func volume(_ voxels: [Float]) -> CanonicalVolume {
            Volume(shape: [4, 3, 6], affine: lps, voxels: voxels, header: .from(affine: lps),
                   source: VolumeSource(path: "synthetic", format: "test", datatype: .float32)).canonical()
        }
        let montage = Montage(volume: volume([Float](repeating: 0.5, count: 72)), labels: volume(labels), count: 3)
        #expect(montage.rows.map(\.label) == [2, 5] && montage.rows.map(\.slices) == [[1, 2, 3], [5]])
        let panel = montage.rows[0].panels[0]
        #expect(panel.image.width == 4 && panel.image.height == 6 && panel.overlay?[2, 0] == 2)  // rows 2 mm: doubled
        let plain = Montage(volume: volume([Float](repeating: 0.5, count: 72)), labels: nil, count: 2)
        #expect(plain.rows.map(\.label) == [nil] && plain.rows[0].slices == [0, 5])
    }

    @Test func aReferenceIsOutlinedInWhiteUnderThePredictionsOutline() {
        // prediction: a 3 x 3 square of label 1 at (1...3, 1...3); reference: the same square moved one pixel right
        var prediction = [Float](repeating: 0, count: 36), reference = [Float](repeating: 0, count: 36)
        for y in 1...3 { for x in 1...3 { prediction[y * 6 + x] = 1; reference[y * 6 + x + 1] = 1 } }
        let image = ImageSlice(width: 6, height: 6, pixels: [Float](repeating: 0, count: 36))
        let rgb = SliceRenderer.rgb(image, labels: ImageSlice(width: 6, height: 6, pixels: prediction),
                                    reference: ImageSlice(width: 6, height: 6, pixels: reference))
        let white = Set((0..<36).filter { rgb[$0 * 3] == 255 && rgb[$0 * 3 + 1] == 255 && rgb[$0 * 3 + 2] == 255 })
        let predictionEdges = SliceRenderer.outlinePixels(ImageSlice(width: 6, height: 6, pixels: prediction))
        #expect(white == SliceRenderer.outlinePixels(ImageSlice(width: 6, height: 6, pixels: reference)).subtracting(predictionEdges))
        #expect(white.contains(2 * 6 + 4), "the reference's right edge, where the prediction has none, is white")
        // the prediction's outline shows in its colour everywhere, also where the reference's runs: column 1 and 3
        let c = SliceRenderer.color(for: 1)
        let colour: [UInt8] = [UInt8(c.0), UInt8(c.1), UInt8(c.2)]
        func pixel(_ x: Int, _ y: Int) -> [UInt8] { Array(rgb[((y * 6 + x) * 3)..<((y * 6 + x) * 3 + 3)]) }
        for y in 1...3 { #expect(pixel(1, y) == colour) }
        // (3, 2): inside the reference, on the prediction's edge: the prediction's colour
        #expect(pixel(3, 2) == colour)
    }
}
