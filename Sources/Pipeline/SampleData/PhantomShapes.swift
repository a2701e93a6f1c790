import Foundation
import Tensor
import Volume

/// A solid bounded by a slightly wobbling ellipsoid surface, in patient LPS millimetres.
struct Blob {
    var center: SIMD3<Double>
    var radii: SIMD3<Double>
    var wobble: Double = 0.06

    /// < 1 inside, 1 on the surface.
    func level(_ p: SIMD3<Double>) -> Double {
        let d = (p - center) / radii
        let theta = atan2(d.y, d.x)
        let r = 1 + wobble * sin(3 * theta + p.z / 23) + wobble * 0.5 * cos(2 * theta - p.z / 31)
        return (d * d).sum().squareRoot() / r
    }

    func contains(_ p: SIMD3<Double>) -> Bool { level(p) <= 1 }
}

/// A tube of varying radius around a segment (pancreas), in patient LPS millimetres.
struct Tube {
    var from: SIMD3<Double>
    var to: SIMD3<Double>
    var radiusFrom: Double
    var radiusTo: Double

    func contains(_ p: SIMD3<Double>) -> Bool {
        let axis = to - from
        let t = min(max(((p - from) * axis).sum() / (axis * axis).sum(), 0), 1)
        let nearest = from + axis * t
        let d = p - nearest
        let radius = radiusFrom + (radiusTo - radiusFrom) * t
        return (d * d).sum() <= radius * radius
    }
}

/// A synthetic scan and its label map on the same grid.
public struct PhantomScan: Sendable {
    public let image: Volume
    public let labels: Volume
    /// Label id -> name.
    public let labelNames: [Int: String]
}

/// Fills a grid by evaluating a tissue model at each voxel centre's patient position (LPS mm).
enum PhantomGrid {
    /// `tissue` returns the noiseless intensity and label at a point; `noise` the noise standard deviation there.
    static func render(shape: [Int], affine: Affine, header: SpatialHeader, name: String, datatype: VoxelDataType,
                       seed: UInt64, noise: (Float) -> Float, rician: Bool = false,
                       tissue: (SIMD3<Double>) -> (Float, UInt8)) -> (image: Volume, labels: Volume) {
        var random = SeededRandom(seed: seed)
        let count = shape.reduce(1, *)
        var intensities = [Float](repeating: 0, count: count)
        var labels = [Float](repeating: 0, count: count)
        var n = 0
        for k in 0..<shape[2] {
            for j in 0..<shape[1] {
                for i in 0..<shape[0] {
                    let ras = affine.apply(SIMD3(Double(i), Double(j), Double(k)))
                    let (value, label) = tissue(SIMD3(-ras.x, -ras.y, ras.z))
                    let sigma = noise(value)
                    var noisy = value + sigma * Float(random.gaussian())
                    if rician {
                        let imaginary = sigma * Float(random.gaussian())
                        noisy = (noisy * noisy + imaginary * imaginary).squareRoot()
                    }
                    intensities[n] = noisy.rounded()
                    labels[n] = Float(label)
                    n += 1
                }
            }
        }
        let image = Volume(shape: shape, affine: affine, voxels: intensities, header: header,
                           source: VolumeSource(path: name, format: "synthetic", datatype: datatype))
        let labelVolume = Volume(shape: shape, affine: affine, voxels: labels, header: header,
                                 source: VolumeSource(path: name + " labels", format: "synthetic", datatype: .uint8))
        return (image, labelVolume)
    }
}
