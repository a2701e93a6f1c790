import Foundation
import Parallelism
import Synchronization
import Volume

/// Surface voxels as medpy 0.5.2 defines them: foreground voxels removed by one binary erosion with the 6-neighbour
/// (face) structuring element, voxels outside the array counting as background (scipy's border_value=0).
public enum Surface {
    /// Box-local linear indices of the surface voxels of `mask`. `planar`: a 2-D slice (a box one voxel deep),
    /// eroded in-plane only (4-neighbour), as medpy does on a 2-D array.
    public static func voxels(of mask: CroppedMask, planar: Bool = false) -> [Int] {
        let size = mask.box.size
        let (nx, ny, nz) = (size[0], size[1], size[2])
        let lower = mask.box.lower, grid = mask.gridShape
        let slabs = Mutex<[(Int, [Int])]>([])
        mask.bits.withUnsafeBufferPointer { buffer in
            let bits = UncheckedBox(buffer.baseAddress!)
            ParallelLoop.forRanges(count: nz, minimumChunk: 1) { ks in
                var found: [Int] = []
                for k in ks {
                    let gk = lower[2] + k
                    for j in 0..<ny {
                        let gj = lower[1] + j
                        let row = nx * (j + ny * k)
                        for i in 0..<nx where bits.value[row + i] {
                            let gi = lower[0] + i
                            let b = bits.value + row + i
                            // A neighbour outside the box is background; outside the grid too (erosion border 0).
                            let inPlane =
                                gi == 0 || gi == grid[0] - 1 || gj == 0 || gj == grid[1] - 1
                                || i == 0 || !b[-1] || i == nx - 1 || !b[1]
                                || j == 0 || !b[-nx] || j == ny - 1 || !b[nx]
                            let surface = inPlane || (!planar && (gk == 0 || gk == grid[2] - 1
                                || k == 0 || !b[-nx * ny] || k == nz - 1 || !b[nx * ny]))
                            if surface { found.append(row + i) }
                        }
                    }
                }
                let first = ks.lowerBound
                slabs.withLock { $0.append((first, found)) }
            }
        }
        let out = slabs.withLock { $0 }.sorted { $0.0 < $1.0 }.flatMap(\.1)
        return out
    }
}
