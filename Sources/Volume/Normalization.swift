import Foundation

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
        let sample = strideSample(volume.voxels, limit: 1 << 20).sorted()
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
        var lo: Float, hi: Float
        var clipped = voxels
        switch window {
        case let .clip(a, b):
            let (ca, cb) = (Float(a), Float(b))
            for i in clipped.indices { clipped[i] = min(max(clipped[i], ca), cb) }
            (lo, hi) = minMax(clipped)
        case .minMax:
            (lo, hi) = minMax(clipped)
        case let .percentiles(a, b):
            let nonZero = voxels.filter { $0 != 0 }.sorted()
            let pa = Float(percentile(sorted: nonZero, a)), pb = Float(percentile(sorted: nonZero, b))
            for i in clipped.indices { clipped[i] = min(max(clipped[i], pa), pb) }
            (lo, hi) = minMax(clipped)
        }
        let span = hi - lo
        guard span > 0 else { return [Float](repeating: 0, count: voxels.count) }
        let scale = 1 / span
        for i in clipped.indices { clipped[i] = (clipped[i] - lo) * scale }
        return clipped
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
        var lo = Float.infinity, hi = -Float.infinity
        for x in v {
            lo = min(lo, x)
            hi = max(hi, x)
        }
        return v.isEmpty ? (0, 0) : (lo, hi)
    }

    static func strideSample(_ v: [Float], limit: Int) -> [Float] {
        guard v.count > limit else { return v }
        let step = (v.count + limit - 1) / limit
        return stride(from: 0, to: v.count, by: step).map { v[$0] }
    }
}
