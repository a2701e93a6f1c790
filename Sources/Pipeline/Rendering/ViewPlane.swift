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
        let (w, h) = (width, height)
        switch plane {
        case .axial:
            return (slice(index), spacing.x, spacing.y)
        case .coronal:
            return (vertical(columns: w, first: index * w, stride: 1), spacing.x, spacing.z)
        case .sagittal:
            return (vertical(columns: h, first: index, stride: w), spacing.y, spacing.z)
        }
    }

    /// A plane along the axial axis, superior row first: row r holds slice (d - 1 - r) from voxel `first` of each
    /// slice, `columns` voxels `stride` apart.
    func vertical(columns: Int, first: Int, stride: Int) -> ImageSlice {
        let d = sliceCount, n = width * height
        var pixels = [Float](repeating: 0, count: columns * d)
        for row in 0..<d {
            let base = (d - 1 - row) * n + first
            for c in 0..<columns { pixels[row * columns + c] = voxels[base + c * stride] }
        }
        return ImageSlice(width: columns, height: d, pixels: pixels)
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
