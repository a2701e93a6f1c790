import Foundation

/// Distances between the surfaces of two binary masks, both cropped to the same box (the union of their extents):
/// from every surface voxel of one to the nearest surface voxel of the other, in mm (medpy's __surface_distances).
public struct SurfaceDistances: Sendable {
    /// From each surface voxel of the prediction to the reference's surface.
    public let predictionToReference: [Double]
    /// From each surface voxel of the reference to the prediction's surface.
    public let referenceToPrediction: [Double]

    /// Both masks must be cropped to the same box and be non-empty.
    public init(prediction: CroppedMask, reference: CroppedMask, spacing: [Double], planar: Bool = false) {
        precondition(prediction.box == reference.box)
        let size = prediction.box.size
        let predictionSurface = Surface.voxels(of: prediction, planar: planar)
        let referenceSurface = Surface.voxels(of: reference, planar: planar)
        predictionToReference = Self.directed(from: predictionSurface, to: referenceSurface, size: size, spacing: spacing)
        referenceToPrediction = Self.directed(from: referenceSurface, to: predictionSurface, size: size, spacing: spacing)
    }

    static func directed(from: [Int], to: [Int], size: [Int], spacing: [Double]) -> [Double] {
        DistanceTransform.squaredDistances(size: size, spacing: spacing, sites: to, at: from).map { $0.squareRoot() }
    }

    /// Both directions together (medpy pools them for HD95 and ASSD).
    public var pooled: [Double] { predictionToReference + referenceToPrediction }
}

/// numpy.percentile with linear interpolation (its default) on unsorted values.
public func percentile(_ values: [Double], _ q: Double) -> Double {
    precondition(!values.isEmpty)
    let sorted = values.sorted()
    let position = q / 100 * Double(sorted.count - 1)
    let below = Int(position.rounded(.down))
    let above = min(below + 1, sorted.count - 1)
    let fraction = position - Double(below)
    return sorted[below] + (sorted[above] - sorted[below]) * fraction
}
