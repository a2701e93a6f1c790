import Parallelism

/// Pointers into tensors for parallel loops that only read them (never written through).
public func withPointers<R>(_ tensors: [Tensor], _ body: ([UncheckedPointer<Float>]) -> R) -> R {
    func nest(_ index: Int, _ pointers: [UncheckedPointer<Float>]) -> R {
        guard index < tensors.count else { return body(pointers) }
        return tensors[index].data.withUnsafeBufferPointer {
            nest(index + 1, pointers + [UncheckedPointer(UnsafeMutablePointer(mutating: $0.baseAddress!))])
        }
    }
    return nest(0, [])
}
