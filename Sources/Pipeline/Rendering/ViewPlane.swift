import Foundation
import Imaging
import Volume

/// The three orthogonal views of the processing (LPS) layout, in radiological display: axial (anterior up, the
/// patient's right on the left), coronal (superior up, the patient's right on the left), sagittal (superior up,
/// anterior on the left).
public enum ViewPlane: String, Sendable, CaseIterable {
    case axial, coronal, sagittal

    /// The canonical axis a view's index runs along (axial: 2, coronal: 1, sagittal: 0).
    public var axis: Int {
        switch self {
        case .axial: 2
        case .coronal: 1
        case .sagittal: 0
        }
    }
}

extension CanonicalVolume {
    /// How many planes of a view the volume has.
    public func planeCount(_ plane: ViewPlane) -> Int { shape[plane.axis] }

    /// Plane `index` of a view in display orientation, and the millimetres one column and one row cover.
    public func plane(_ plane: ViewPlane, index: Int) -> (image: ImageSlice, columnMM: Double, rowMM: Double) {
        let (w, h, d) = (width, height, sliceCount)
        switch plane {
        case .axial:
            return (slice(index), spacing.x, spacing.y)
        case .coronal:
            var pixels = [Float](repeating: 0, count: w * d)
            for row in 0..<d {
                let k = d - 1 - row
                for x in 0..<w { pixels[row * w + x] = voxels[(k * h + index) * w + x] }
            }
            return (ImageSlice(width: w, height: d, pixels: pixels), spacing.x, spacing.z)
        case .sagittal:
            var pixels = [Float](repeating: 0, count: h * d)
            for row in 0..<d {
                let k = d - 1 - row
                for y in 0..<h { pixels[row * h + y] = voxels[(k * h + y) * w + index] }
            }
            return (ImageSlice(width: h, height: d, pixels: pixels), spacing.y, spacing.z)
        }
    }
}

/// Resamples a view to square display pixels of `pixelMM` millimetres (nearest neighbour, so labels stay labels and
/// a voxel stays a block), keeping at least one pixel per side.
public enum SquarePixels {
    public static func resample(_ image: ImageSlice, columnMM: Double, rowMM: Double, pixelMM: Double) -> ImageSlice {
        let outWidth = max(1, Int((Double(image.width) * columnMM / pixelMM).rounded()))
        let outHeight = max(1, Int((Double(image.height) * rowMM / pixelMM).rounded()))
        var pixels = [Float](repeating: 0, count: outWidth * outHeight)
        for y in 0..<outHeight {
            let sy = min(image.height - 1, y * image.height / outHeight)
            for x in 0..<outWidth {
                pixels[y * outWidth + x] = image[sy, min(image.width - 1, x * image.width / outWidth)]
            }
        }
        return ImageSlice(width: outWidth, height: outHeight, pixels: pixels)
    }
}
