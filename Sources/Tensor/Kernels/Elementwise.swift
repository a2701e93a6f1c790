import Foundation
import Parallelism

/// Vectorized elementwise functions with float accuracy (erf, exp, GELU), for any lane width.
public enum VectorMath<Lanes: FloatLanes> {
    /// erf on [-4, 4] as a rational minimax approximation (Eigen's generic_fast_erf_float); +-1 outside.
    @inlinable @inline(__always)
    public static func erf(_ a: Lanes) -> Lanes {
        let x = a.clamped(-4, 4)
        let x2 = x * x
        var p = Lanes(repeating: 2.77068142495902e-08).addingFusedProduct(x2, Lanes(repeating: -2.72614225801306e-10))
        p = Lanes(repeating: -2.10102402082508e-06).addingFusedProduct(x2, p)
        p = Lanes(repeating: -5.69250639462346e-05).addingFusedProduct(x2, p)
        p = Lanes(repeating: -7.34990630326855e-04).addingFusedProduct(x2, p)
        p = Lanes(repeating: -2.95459980854025e-03).addingFusedProduct(x2, p)
        p = Lanes(repeating: -1.60960333262415e-02).addingFusedProduct(x2, p)
        p = x * p
        var q = Lanes(repeating: -2.13374055278905e-04).addingFusedProduct(x2, Lanes(repeating: -1.45660718464996e-05))
        q = Lanes(repeating: -1.68282697438203e-03).addingFusedProduct(x2, q)
        q = Lanes(repeating: -7.37332916720468e-03).addingFusedProduct(x2, q)
        q = Lanes(repeating: -1.42647390514189e-02).addingFusedProduct(x2, q)
        return p / q
    }

    /// exp by range reduction (x = n ln2 + r) and a degree-6 polynomial for exp(r); 0 below -87.3, inf above 88.7.
    @inlinable @inline(__always)
    public static func exp(_ a: Lanes) -> Lanes {
        let x = a.clamped(-87.3, 88.7)
        // Round to nearest by adding 1.5 * 2^23: the integer lands in the low mantissa bits of `shifted`.
        let magic = Lanes(repeating: 12_582_912)
        let shifted = x * Lanes(repeating: 1.442695040888963) + magic
        let n = shifted - magic
        var r = x.addingFusedProduct(n, Lanes(repeating: -0.693359375))
        r = r.addingFusedProduct(n, Lanes(repeating: 2.12194440e-4))
        var p = Lanes(repeating: 1.3981999507e-3).addingFusedProduct(Lanes(repeating: 1.9875691500e-4), r)
        p = Lanes(repeating: 8.3334519073e-3).addingFusedProduct(p, r)
        p = Lanes(repeating: 4.1665795894e-2).addingFusedProduct(p, r)
        p = Lanes(repeating: 1.6666665459e-1).addingFusedProduct(p, r)
        p = Lanes(repeating: 5.0000001201e-1).addingFusedProduct(p, r)
        p = (r + 1).addingFusedProduct(p * r, r)
        let integer = unsafeBitCast(shifted, to: Lanes.Integers.self) &- unsafeBitCast(magic, to: Lanes.Integers.self)
        return p * unsafeBitCast((integer &+ 127) &<< 23, to: Lanes.self)
    }

    /// GELU with the exact erf form (torch.nn.GELU()): x / 2 * (1 + erf(x / sqrt 2)).
    @inlinable @inline(__always)
    public static func gelu(_ x: Lanes) -> Lanes {
        let hx = Lanes(repeating: 0.5) * x
        return hx.addingFusedProduct(hx, erf(x * Lanes(repeating: 0.70710678118654752)))
    }

    /// y = a + b over `count` values.
    @inlinable @inline(__always)
    public static func add(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + Lanes.scalarCount <= count { (Lanes.load(a + i) + Lanes.load(b + i)).store(y + i); i += Lanes.scalarCount }
        while i < count { y[i] = a[i] + b[i]; i += 1 }
    }

    /// GELU with the exact erf form (torch.nn.GELU()) over p[range], in place: x / 2 * (1 + erf(x / sqrt 2)).
    @inlinable @inline(__always)
    public static func geluRange(_ p: UnsafeMutablePointer<Float>, _ range: Range<Int>) {
        let width = Lanes.scalarCount
        var i = range.lowerBound
        while i + width <= range.upperBound {
            gelu(Lanes.load(p + i)).store(p + i)
            i += width
        }
        while i < range.upperBound {
            let x = p[i]
            p[i] = 0.5 * x * (1 + Foundation.erf(x * 0.70710678118654752))
            i += 1
        }
    }
}

/// The AVX2 (8-lane) elementwise functions, for the code that calls them directly (the decoder).
public enum Elementwise {
    public typealias Lanes = SIMD8<Float>

    @inlinable @inline(__always)
    public static func erf(_ a: Lanes) -> Lanes { VectorMath<Lanes>.erf(a) }

    @inlinable @inline(__always)
    public static func exp(_ a: Lanes) -> Lanes { VectorMath<Lanes>.exp(a) }

    /// GELU with the exact erf form (torch.nn.GELU()): x / 2 * (1 + erf(x / sqrt 2)), in place.
    public static func gelu(_ values: inout [Float]) {
        values.withUnsafeMutableBufferPointer { buffer in
            let p = UncheckedPointer(buffer.baseAddress!)
            ParallelLoop.forRanges(count: buffer.count, minimumChunk: 1 << 15) { range in
                geluRange(p.pointer, range)
            }
        }
    }

    @inlinable @inline(__always)
    public static func geluRange(_ p: UnsafeMutablePointer<Float>, _ range: Range<Int>) { VectorMath<Lanes>.geluRange(p, range) }
}
