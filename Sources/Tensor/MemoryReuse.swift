import CMalloc
import Foundation

/// Keeps freed large buffers in the process's heap for reuse: a fresh mmap for every activation tensor costs a page
/// fault per 4 KiB on each forward pass (glibc's default returns buffers of 128 KiB and up to the system).
public enum MemoryReuse {
    nonisolated(unsafe) private static var configured = false

    public static func configure() {
        guard !configured else { return }
        configured = true
        _ = mallopt(M_MMAP_THRESHOLD, 32 << 20)
        _ = mallopt(M_TRIM_THRESHOLD, 512 << 20)
    }
}
