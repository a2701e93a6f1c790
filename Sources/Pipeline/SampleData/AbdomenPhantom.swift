import Foundation
import Volume

/// A contrast-enhanced CT-like upper abdomen with the Synapse/BTCV organs labelled by their BTCV ids, on an
/// anisotropic, rotated LAS grid (so the processing layout must flip and keep an oblique affine exactly).
public enum AbdomenPhantom {
    public static let labelNames: [Int: String] = [
        1: "spleen", 2: "kidney_right", 3: "kidney_left", 4: "gallbladder", 6: "liver", 7: "stomach", 8: "aorta",
        11: "pancreas",
    ]

    public static let shape = [160, 128, 28]
    public static let spacing = SIMD3<Double>(2.2, 2.2, 5.0)

    /// The file's voxel-to-RAS affine: axes towards L, A, S rotated 6 degrees about S, scanner-like origin.
    public static var affine: Affine { affine(shape: shape, spacing: spacing) }

    /// The same orientation and centre for another grid (e.g. a 512 x 512 x 150 scan for benchmarks).
    public static func affine(shape: [Int], spacing: SIMD3<Double>) -> Affine {
        let angle = 6.0 * Double.pi / 180
        let (c, s) = (cos(angle), sin(angle))
        let columns: [SIMD3<Double>] = [SIMD3(-c, -s, 0) * spacing.x, SIMD3(-s, c, 0) * spacing.y, SIMD3(0, 0, 1) * spacing.z]
        let isocentre = SIMD3<Double>(12.5, -180.0, -620.0)
        let centreIndex = SIMD3(Double(shape[0] - 1), Double(shape[1] - 1), Double(shape[2] - 1)) / 2
        var a = Affine.identity
        for r in 0..<3 {
            for col in 0..<3 { a[r, col] = columns[col][r] }
            a[r, 3] = isocentre[r] - (columns[0][r] * centreIndex.x + columns[1][r] * centreIndex.y + columns[2][r] * centreIndex.z)
        }
        return a
    }

    /// The sample scan; `shape` and `spacing` give the same anatomy on another grid.
    public static func make(seed: UInt64 = 2024, shape: [Int] = shape, spacing: SIMD3<Double> = spacing) -> PhantomScan {
        let affine = affine(shape: shape, spacing: spacing)
        let isocentre = affine.apply(SIMD3(Double(shape[0] - 1), Double(shape[1] - 1), Double(shape[2] - 1)) / 2)
        let offset = SIMD3(-isocentre.x, -isocentre.y, isocentre.z)
        let (image, labels) = PhantomGrid.render(
            shape: shape, affine: affine, header: .from(affine: affine), name: "ct_abdomen", datatype: .int16,
            seed: seed, noise: { $0 < -900 ? 6 : 11 }
        ) { point in tissue(at: point - offset) }
        return PhantomScan(image: image, labels: labels, labelNames: labelNames)
    }

    // Organs in patient LPS mm relative to the body centre: +x patient left, +y posterior, +z superior.
    static let body = Blob(center: SIMD3(0, 5, 0), radii: SIMD3(160, 115, 900), wobble: 0.02)
    static let muscleWall = Blob(center: SIMD3(0, 5, 0), radii: SIMD3(143, 99, 900), wobble: 0.02)
    static let cavity = Blob(center: SIMD3(0, 5, 0), radii: SIMD3(133, 89, 900), wobble: 0.02)
    static let liver = Blob(center: SIMD3(-62, -5, 45), radii: SIMD3(78, 78, 72), wobble: 0.07)
    static let gallbladder = Blob(center: SIMD3(-48, -52, 0), radii: SIMD3(16, 19, 32), wobble: 0.04)
    static let spleen = Blob(center: SIMD3(92, 48, 45), radii: SIMD3(30, 46, 50), wobble: 0.06)
    static let kidneyRight = Blob(center: SIMD3(-66, 58, -25), radii: SIMD3(27, 30, 55), wobble: 0.05)
    static let kidneyLeft = Blob(center: SIMD3(66, 58, -15), radii: SIMD3(27, 30, 55), wobble: 0.05)
    static let stomach = Blob(center: SIMD3(52, -38, 55), radii: SIMD3(50, 36, 46), wobble: 0.08)
    static let stomachLumen = Blob(center: SIMD3(52, -38, 55), radii: SIMD3(44, 30, 40), wobble: 0.08)
    static let pancreas = Tube(from: SIMD3(-22, 18, 5), to: SIMD3(72, 34, 22), radiusFrom: 14, radiusTo: 9)
    static let aorta = Tube(from: SIMD3(16, 42, -300), to: SIMD3(12, 40, 300), radiusFrom: 11, radiusTo: 12)
    static let vertebra = Tube(from: SIMD3(0, 78, -300), to: SIMD3(0, 78, 300), radiusFrom: 21, radiusTo: 21)
    static let vertebraCore = Tube(from: SIMD3(0, 78, -300), to: SIMD3(0, 78, 300), radiusFrom: 17, radiusTo: 17)
    static let canal = Tube(from: SIMD3(0, 108, -300), to: SIMD3(0, 108, 300), radiusFrom: 8, radiusTo: 8)

    /// Noiseless HU and BTCV label at a point.
    static func tissue(at p: SIMD3<Double>) -> (Float, UInt8) {
        guard body.contains(p) else { return (-1000, 0) }
        guard muscleWall.contains(p) else { return (-95, 0) }  // subcutaneous fat
        guard cavity.contains(p) else { return (48, 0) }  // abdominal wall muscle
        if canal.contains(p) { return (22, 0) }
        if vertebraCore.contains(p) { return (260, 0) }
        if vertebra.contains(p) { return (720, 0) }
        if aorta.contains(p) { return (185, 8) }
        if pancreas.contains(p) { return (95, 11) }
        if stomach.contains(p) {
            if stomachLumen.contains(p) { return p.y < -52 ? (-720, 7) : (14, 7) }  // gas cap anteriorly, fluid below
            return (70, 7)
        }
        if kidneyRight.contains(p) || kidneyLeft.contains(p) {
            let kidney = kidneyRight.contains(p) ? kidneyRight : kidneyLeft
            let label: UInt8 = kidney.center.x < 0 ? 2 : 3
            return kidney.level(p) > 0.72 ? (190, label) : (120, label)  // cortex brighter than medulla
        }
        if spleen.contains(p) { return (122, 1) }
        if gallbladder.contains(p) { return (12, 4) }
        if liver.contains(p) { return (108, 6) }
        return (-70, 0)  // mesenteric fat
    }
}
