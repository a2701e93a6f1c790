/// TinyViT's window partition of a channels-last image [H, W, C], zero-padded at the bottom/right to whole
/// windows of side `window`: tokens are window-major (windows row by row, then positions row by row inside).
public enum WindowPartition {
    /// The window grid of an h x w image: windows down, windows across.
    @inlinable
    public static func grid(h: Int, w: Int, window: Int) -> (down: Int, across: Int) {
        ((h + window - 1) / window, (w + window - 1) / window)
    }

    /// The padded-image position (y, x) of window-major token `token`.
    @inlinable @inline(__always)
    public static func position(_ token: Int, window: Int, across: Int) -> (y: Int, x: Int) {
        let n = window * window
        let (index, inside) = (token / n, token % n)
        return ((index / across) * window + inside / window, (index % across) * window + inside % window)
    }
}
