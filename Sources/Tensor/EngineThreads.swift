import Foundation
import Parallelism

/// The engine's thread count: its parallel loops and its split sgemm calls (OpenBLAS itself runs single-threaded,
/// so the two never oversubscribe the cores).
public enum EngineThreads {
    public static func set(_ threads: Int) {
        ParallelLoop.threads = max(1, threads)
    }
}
