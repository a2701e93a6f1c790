import CSIMD
import Foundation
import Parallelism

extension SIMD8 where Scalar == Float {
    /// self + a * b with one rounding, always one vector instruction (see CSIMD/simd_fma.h).
    @inlinable @inline(__always)
    public func addingFusedProduct(_ a: Self, _ b: Self) -> Self { volsam_fma8(a, b, self) }
}

/// Vectorized elementwise functions (8 lanes, fused multiply-adds) with float accuracy: erf, exp, GELU.
public enum Elementwise {
    public typealias Lanes = SIMD8<Float>

    /// min(max(x, lo), hi) lane-wise, as compares and blends (SIMD's generic clamped() is not vectorized).
    @inlinable @inline(__always)
    @usableFromInline static func clamp(_ x: Lanes, _ lo: Float, _ hi: Float) -> Lanes {
        let low = x.replacing(with: lo, where: x .< lo)
        return low.replacing(with: hi, where: low .> hi)
    }

    /// erf on [-4, 4] as a rational minimax approximation (Eigen's generic_fast_erf_float); +-1 outside.
    @inlinable @inline(__always)
    public static func erf(_ a: Lanes) -> Lanes {
        let x = clamp(a, -4, 4)
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
        let x = clamp(a, -87.3, 88.7)
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
        let integer = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- unsafeBitCast(magic, to: SIMD8<Int32>.self)
        return p * unsafeBitCast((integer &+ 127) &<< 23, to: Lanes.self)
    }

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
    public static func geluRange(_ p: UnsafeMutablePointer<Float>, _ range: Range<Int>) {
        var i = range.lowerBound
        let half = Lanes(repeating: 0.5), invSqrt2 = Lanes(repeating: 0.70710678118654752)
        while i + 8 <= range.upperBound {
            let raw = UnsafeMutableRawPointer(p + i)
            let x = raw.loadUnaligned(as: Lanes.self)
            let hx = half * x
            raw.storeBytes(of: hx.addingFusedProduct(hx, erf(x * invSqrt2)), as: Lanes.self)
            i += 8
        }
        while i < range.upperBound {
            let x = p[i]
            p[i] = 0.5 * x * (1 + Foundation.erf(x * 0.70710678118654752))
            i += 1
        }
    }
}
