/// 8 x 8 blocks of floats transposed in registers, for kernels that write a row-major result column-major.
public enum RegisterTranspose {
    public typealias V = SIMD8<Float>

    /// The transpose of 8 rows of 8: three perfect unshuffles of the 64 values (each rotates the index bits
    /// r2 r1 r0 c2 c1 c0 right by one) turn row-major into column-major.
    @inlinable @inline(__always)
    public static func transposed8x8(_ rows: (V, V, V, V, V, V, V, V)) -> (V, V, V, V, V, V, V, V) {
        var m = rows
        for _ in 0..<3 {
            let (p0, p1, p2, p3) = (SIMD16(lowHalf: m.0, highHalf: m.1), SIMD16(lowHalf: m.2, highHalf: m.3),
                                    SIMD16(lowHalf: m.4, highHalf: m.5), SIMD16(lowHalf: m.6, highHalf: m.7))
            m = (p0.evenHalf, p1.evenHalf, p2.evenHalf, p3.evenHalf, p0.oddHalf, p1.oddHalf, p2.oddHalf, p3.oddHalf)
        }
        return m
    }

    /// The 8 x 8 block at `from` (rows `fromStride` apart) written transposed at `to` (rows `toStride` apart).
    @inlinable @inline(__always)
    public static func transpose8x8(_ from: UnsafePointer<Float>, _ fromStride: Int, into to: UnsafeMutablePointer<Float>,
                                    _ toStride: Int) {
        let m = transposed8x8((load(from), load(from + fromStride), load(from + 2 * fromStride), load(from + 3 * fromStride),
                               load(from + 4 * fromStride), load(from + 5 * fromStride), load(from + 6 * fromStride),
                               load(from + 7 * fromStride)))
        store(m.0, to); store(m.1, to + toStride); store(m.2, to + 2 * toStride); store(m.3, to + 3 * toStride)
        store(m.4, to + 4 * toStride); store(m.5, to + 5 * toStride); store(m.6, to + 6 * toStride); store(m.7, to + 7 * toStride)
    }

    @inlinable @inline(__always) static func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }
    @inlinable @inline(__always) static func store(_ v: V, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self)
    }
}
