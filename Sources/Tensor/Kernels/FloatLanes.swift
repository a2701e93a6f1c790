import CSIMD
import Foundation

/// A vector of Float lanes the kernels are written for: SIMD8 (AVX2, compiled into Tensor) or SIMD16 (AVX-512,
/// specialized in the KernelsAVX512 module, which is compiled for it). Kernels generic over it are @inlinable so
/// each module specializes them for its own instruction set.
public protocol FloatLanes: SIMD, Sendable where Scalar == Float {
    /// Int32 lanes of the same count (exp's exponent arithmetic).
    associatedtype Integers: SIMD where Integers.Scalar == Int32
    /// self + a * b with one rounding, one vector instruction (CSIMD/simd_fma.h).
    func addingFusedProduct(_ a: Self, _ b: Self) -> Self
    /// min(max(x, lo), hi) lane-wise (a requirement: the concrete types' compares and blends vectorize, the
    /// generic ones do not).
    func clamped(_ lo: Float, _ hi: Float) -> Self
    /// The lane-wise maximum.
    func lanewiseMaximum(_ other: Self) -> Self
}

extension SIMD8: FloatLanes where Scalar == Float {
    public typealias Integers = SIMD8<Int32>

    /// self + a * b with one rounding, always one vector instruction (see CSIMD/simd_fma.h).
    @inlinable @inline(__always)
    public func addingFusedProduct(_ a: Self, _ b: Self) -> Self { volsam_fma8(a, b, self) }

    @inlinable @inline(__always)
    public func clamped(_ lo: Float, _ hi: Float) -> Self { volsam_min8(volsam_max8(self, Self(repeating: lo)), Self(repeating: hi)) }

    @inlinable @inline(__always)
    public func lanewiseMaximum(_ other: Self) -> Self { volsam_max8(self, other) }
}

extension SIMD16: FloatLanes where Scalar == Float {
    public typealias Integers = SIMD16<Int32>

    @inlinable @inline(__always)
    public func addingFusedProduct(_ a: Self, _ b: Self) -> Self { volsam_fma16(a, b, self) }

    @inlinable @inline(__always)
    public func clamped(_ lo: Float, _ hi: Float) -> Self { volsam_min16(volsam_max16(self, Self(repeating: lo)), Self(repeating: hi)) }

    @inlinable @inline(__always)
    public func lanewiseMaximum(_ other: Self) -> Self { volsam_max16(self, other) }
}

extension FloatLanes {
    /// The lanes at p (unaligned).
    @inlinable @inline(__always)
    public static func load(_ p: UnsafePointer<Float>) -> Self { UnsafeRawPointer(p).loadUnaligned(as: Self.self) }

    @inlinable @inline(__always)
    public static func load(_ p: UnsafeMutablePointer<Float>) -> Self { UnsafeRawPointer(p).loadUnaligned(as: Self.self) }

    @inlinable @inline(__always)
    public func store(_ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: self, as: Self.self) }

    /// The largest lane.
    @inlinable @inline(__always)
    public func largest() -> Float {
        var top = self[0]
        for lane in 1..<scalarCount { top = Swift.max(top, self[lane]) }
        return top
    }
}
