import Foundation
import Parallelism
import Synchronization

/// The imaging modality, which decides the intensity normalization.
public enum Modality: String, Sendable, CaseIterable {
    case ct, mr
}

/// A modality and why it was chosen (printed so users can override a wrong guess).
public struct ModalityDecision: Sendable, Equatable {
    public var modality: Modality
    public var reason: String

    public init(modality: Modality, reason: String) {
        self.modality = modality
        self.reason = reason
    }
}

/// How raw intensities are mapped to [0, 1].
public enum IntensityWindow: Sendable, Equatable {
    /// Clip to [lo, hi], then min-max over the clipped volume (CT default: -125...275 HU).
    case clip(lo: Double, hi: Double)
    /// Min-max over the whole volume (MRI default).
    case minMax
    /// Clip to the given percentiles of the non-zero voxels, then min-max (MedSAM's MRI preprocessing: 0.5, 99.5).
    case percentiles(lo: Double, hi: Double)

    public static let ctAbdomen = IntensityWindow.clip(lo: -125, hi: 275)

    /// A window given as level and width (e.g. 40,400 for soft tissue).
    public static func levelWidth(_ level: Double, _ width: Double) -> IntensityWindow {
        .clip(lo: level - width / 2, hi: level + width / 2)
    }

    /// The default window of a modality.
    public static func standard(for modality: Modality) -> IntensityWindow {
        modality == .ct ? .ctAbdomen : .minMax
    }

    public var summary: String {
        switch self {
        case let .clip(lo, hi): "clip to [\(fmt(lo)), \(fmt(hi))] then min-max to [0, 1]"
        case .minMax: "min-max to [0, 1]"
        case let .percentiles(lo, hi): "clip to percentiles \(fmt(lo))/\(fmt(hi)) of non-zero voxels then min-max to [0, 1]"
        }
    }

    private func fmt(_ v: Double) -> String { v == v.rounded() ? String(Int(v)) : String(v) }
}

/// Modality detection and intensity normalization.
public enum Normalization {
    /// The modality of a volume: the DICOM Modality tag when there is one, else a look at the intensities
    /// (CT has air near -1000 HU: the 0.5th percentile is at most -500 and the maximum is positive).
    public static func detectModality(_ volume: Volume) -> ModalityDecision {
        if let tag = volume.source.dicomModality, !tag.isEmpty {
            if tag == "CT" { return ModalityDecision(modality: .ct, reason: "DICOM Modality tag is CT") }
            return ModalityDecision(modality: .mr, reason: "DICOM Modality tag is \(tag) (not CT): min-max normalization")
        }
        let sample = strideSample(volume.voxels, limit: 1 << 18).sorted()
        let low = percentile(sorted: sample, 0.5)
        let high = sample.last ?? 0
        if low <= -500 && high > 0 {
            return ModalityDecision(modality: .ct, reason: String(format: "intensities look like HU (0.5th percentile %.0f, air)", low))
        }
        return ModalityDecision(modality: .mr, reason: String(
            format: "no air-like values (0.5th percentile %.4g > -500), so not HU", low))
    }

    /// Maps voxels to [0, 1] with the given window. A constant result (no contrast) maps to 0.
    public static func normalize(_ voxels: [Float], window: IntensityWindow) -> [Float] {
        var out = voxels
        normalize(&out, window: window)
        return out
    }

    /// normalize(_:window:) in place, so a large volume is not copied.
    public static func normalize(_ voxels: inout [Float], window: IntensityWindow) {
        let (lo, hi): (Float, Float)
        switch window {
        case let .clip(a, b): (lo, hi) = (Float(a), Float(b))
        case .minMax: (lo, hi) = (-.infinity, .infinity)
        case let .percentiles(a, b):
            let nonZero = voxels.filter { $0 != 0 }.sorted()
            (lo, hi) = (Float(percentile(sorted: nonZero, a)), Float(percentile(sorted: nonZero, b)))
        }
        // Clipping is monotonic, so the clipped volume's extremes are the clipped raw extremes: one pass to find
        // them, one pass to write the result.
        let (rawLeast, rawMost) = minMax(voxels)
        let least = min(max(rawLeast, lo), hi), most = min(max(rawMost, lo), hi)
        let span = most - least
        let scale = span > 0 ? 1 / span : 0  // no contrast: everything maps to 0
        voxels.withUnsafeMutableBufferPointer { buffer in
            let p = UncheckedBox(buffer.baseAddress!)
            ParallelLoop.forRanges(count: buffer.count, minimumChunk: 1 << 16) { range in
                for i in range { p.value[i] = (min(max(p.value[i], lo), hi) - least) * scale }
            }
        }
    }

    /// Normalizes the voxels of a volume in place.
    public static func normalize(_ volume: inout CanonicalVolume, window: IntensityWindow) {
        normalize(&volume.voxels, window: window)
    }

    /// numpy.percentile (linear interpolation) of sorted values; q in 0...100.
    public static func percentile(sorted: [Float], _ q: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let position = q / 100 * Double(sorted.count - 1)
        let below = Int(position.rounded(.down))
        let above = min(below + 1, sorted.count - 1)
        let fraction = position - Double(below)
        return Double(sorted[below]) + (Double(sorted[above]) - Double(sorted[below])) * fraction
    }

    static func minMax(_ v: [Float]) -> (Float, Float) {
        guard !v.isEmpty else { return (0, 0) }
        let parts = Mutex(Array(repeating: (Float.infinity, -Float.infinity), count: 0))
        v.withUnsafeBufferPointer { buffer in
            let p = UncheckedBox(buffer.baseAddress!)
            ParallelLoop.forRanges(count: buffer.count, minimumChunk: 1 << 16) { range in
                var lo = Float.infinity, hi = -Float.infinity
                for i in range {
                    lo = min(lo, p.value[i])
                    hi = max(hi, p.value[i])
                }
                parts.withLock { $0.append((lo, hi)) }
            }
        }
        return parts.withLock { all in (all.map(\.0).min()!, all.map(\.1).max()!) }
    }

    static func strideSample(_ v: [Float], limit: Int) -> [Float] {
        guard v.count > limit else { return v }
        let step = (v.count + limit - 1) / limit
        return stride(from: 0, to: v.count, by: step).map { v[$0] }
    }
}
