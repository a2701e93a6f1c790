import Foundation
import Volume

/// An MRI-like FLAIR brain with a glioma (BraTS 2021 ids: 1 necrosis, 2 oedema, 4 enhancing tumour) on a RAS grid
/// described by a qform only (sform_code 0), with Rician noise and a mild bias field.
public enum BrainPhantom {
    public static let labelNames: [Int: String] = [1: "necrosis", 2: "oedema", 4: "enhancing_tumour"]

    public static let shape = [112, 128, 64]
    public static let spacing = SIMD3<Double>(1.6, 1.6, 2.4)

    public static var header: SpatialHeader {
        let origin = SIMD3(-Double(shape[0] - 1) / 2 * spacing.x + 1.3, -Double(shape[1] - 1) / 2 * spacing.y - 17.0,
                           -Double(shape[2] - 1) / 2 * spacing.z + 9.6)
        var sform = Affine.identity
        for a in 0..<3 { sform[a, a] = spacing[a] }
        return SpatialHeader(qformCode: 1, sformCode: 0, quaternion: SIMD3(0, 0, 0), qoffset: origin, qfac: 1,
                             pixdim: spacing, sform: sform)
    }

    public static func make(seed: UInt64 = 2021) -> PhantomScan {
        let header = header
        let affine = header.bestAffine(shape: shape)
        let centre = affine.apply(SIMD3(Double(shape[0] - 1), Double(shape[1] - 1), Double(shape[2] - 1)) / 2)
        let offset = SIMD3(-centre.x, -centre.y, centre.z)
        let (image, labels) = PhantomGrid.render(
            shape: shape, affine: affine, header: header, name: "mr_brain_flair", datatype: .int16, seed: seed,
            noise: { _ in 14 }, rician: true
        ) { point in
            let p = point - offset
            let (value, label) = tissue(at: p)
            return (value * Float(1 + 0.08 * p.x / 72), label)  // bias field, left-right
        }
        return PhantomScan(image: image, labels: labels, labelNames: labelNames)
    }

    // Patient LPS mm relative to the head centre: +x patient left, +y posterior, +z superior.
    static let head = Blob(center: SIMD3(0, 0, 0), radii: SIMD3(74, 94, 72), wobble: 0.01)
    static let skull = Blob(center: SIMD3(0, 0, 0), radii: SIMD3(68, 88, 66), wobble: 0.01)
    static let csf = Blob(center: SIMD3(0, 0, 0), radii: SIMD3(63, 83, 61), wobble: 0.01)
    static let brain = Blob(center: SIMD3(0, 0, 0), radii: SIMD3(61, 81, 59), wobble: 0.03)
    static let whiteMatter = Blob(center: SIMD3(0, 0, 0), radii: SIMD3(52, 72, 50), wobble: 0.05)
    static let ventricleRight = Blob(center: SIMD3(-9, -4, 8), radii: SIMD3(6, 26, 10), wobble: 0.05)
    static let ventricleLeft = Blob(center: SIMD3(9, -4, 8), radii: SIMD3(6, 26, 10), wobble: 0.05)
    static let oedema = Blob(center: SIMD3(-34, -12, 14), radii: SIMD3(22, 29, 21), wobble: 0.12)
    static let tumour = Blob(center: SIMD3(-36, -14, 15), radii: SIMD3(12, 14, 11), wobble: 0.08)
    static let necrosis = Blob(center: SIMD3(-36, -14, 15), radii: SIMD3(6.5, 7.5, 6), wobble: 0.05)

    /// Noiseless FLAIR intensity and BraTS label at a point.
    static func tissue(at p: SIMD3<Double>) -> (Float, UInt8) {
        guard head.contains(p) else { return (0, 0) }
        guard skull.contains(p) else { return (330, 0) }  // scalp
        guard csf.contains(p) else { return (35, 0) }  // skull
        guard brain.contains(p) else { return (80, 0) }  // suppressed CSF
        if necrosis.contains(p) { return (340, 1) }
        if tumour.contains(p) { return (720, 4) }
        if oedema.contains(p) { return (900, 2) }
        if ventricleRight.contains(p) || ventricleLeft.contains(p) { return (70, 0) }
        return whiteMatter.contains(p) ? (430, 0) : (525, 0)
    }
}
