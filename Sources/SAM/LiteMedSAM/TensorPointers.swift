import Parallelism
import Tensor

/// Mutable pointers into tensors for the decoder's parallel row loops (each worker writes only its own rows).
func withMutablePointers<R>(_ a: inout Tensor, _ b: inout Tensor, _ body: (UncheckedPointer<Float>, UncheckedPointer<Float>) -> R) -> R {
    a.data.withUnsafeMutableBufferPointer { pa in b.data.withUnsafeMutableBufferPointer { pb in
        body(UncheckedPointer(pa.baseAddress!), UncheckedPointer(pb.baseAddress!))
    } }
}

func withMutablePointers<R>(_ a: inout Tensor, _ b: inout Tensor, _ c: inout Tensor,
                            _ body: (UncheckedPointer<Float>, UncheckedPointer<Float>, UncheckedPointer<Float>) -> R) -> R {
    withMutablePointers(&a, &b) { pa, pb in c.data.withUnsafeMutableBufferPointer { body(pa, pb, UncheckedPointer($0.baseAddress!)) } }
}

typealias V8 = SIMD8<Float>
@inline(__always) func load8(_ p: UnsafePointer<Float>) -> V8 { UnsafeRawPointer(p).loadUnaligned(as: V8.self) }
@inline(__always) func store8(_ v: V8, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: V8.self) }
