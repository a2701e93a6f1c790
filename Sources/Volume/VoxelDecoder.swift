import SystemZlib
import Foundation
import Parallelism

/// Reads a NIfTI file's voxel bytes (gzip or plain, via zlib) and converts them to Float32, decoding the next chunk
/// on one thread while the previous one is converted on another (a small ring of chunk buffers, never a second copy
/// of the volume). A short read is an error, never zero-filled.
enum VoxelDecoder {
    static let chunkVoxels = 1 << 20
    /// Chunk buffers in flight between the decoding and the converting thread.
    static let ringSize = 4

    struct Request {
        var path: String
        var reportAs: String
        var offset: Int
        var count: Int
        var datatype: VoxelDataType
        var byteSwapped: Bool
        var slope: Double
        var intercept: Double
        var compressed: Bool
    }

    /// The converted voxels and the number of NaN/inf values (already replaced by the smallest finite value).
    static func decode(_ request: Request) throws -> (voxels: [Float], nonFinite: Int) {
        let bytesPer = request.datatype.bytes
        let ringBytes = chunkVoxels * bytesPer
        let raw = UnsafeMutableRawPointer.allocate(byteCount: ringBytes * ringSize, alignment: 64)
        defer { raw.deallocate() }
        guard let file = gzopen(request.path, "rb") else {
            throw VolumeError(request.reportAs, "cannot open \(request.path)")
        }
        defer { gzclose(file) }
        gzbuffer(file, 1 << 18)
        if request.offset > 0, gzseek(file, numericCast(request.offset), SEEK_SET) < 0 {
            throw VolumeError(request.reportAs, "cannot seek to the data at byte \(request.offset)")
        }
        let chunks = max(1, (request.count + chunkVoxels - 1) / chunkVoxels)
        let shared = DecodeState(file: UncheckedBox(file), raw: UncheckedBox(raw), request: request, chunks: chunks)
        let reader = Thread { shared.readAll() }
        reader.stackSize = 1 << 20
        reader.start()

        var nonFinite = 0
        var lowest = Float.infinity
        let voxels = [Float](unsafeUninitializedCapacity: request.count) { out, initialized in
            for chunk in 0..<chunks {
                shared.ready.wait()
                guard shared.failure == nil else { break }
                let first = chunk * chunkVoxels
                let n = min(chunkVoxels, request.count - first)
                let source = raw + (chunk % ringSize) * ringBytes
                if request.byteSwapped && bytesPer > 1 { swapBytes(source, count: n, width: bytesPer) }
                let stats = convert(source, into: out.baseAddress! + first, count: n, request: request)
                shared.free.signal()
                nonFinite += stats.nonFinite
                lowest = min(lowest, stats.lowest)
            }
            initialized = shared.failure == nil ? request.count : 0
        }
        shared.finished.wait()
        if let failure = shared.failure { throw failure }
        guard nonFinite > 0 else { return (voxels, 0) }
        var fixed = voxels
        let fill = lowest.isFinite ? lowest : 0
        for i in fixed.indices where !fixed[i].isFinite { fixed[i] = fill }
        return (fixed, nonFinite)
    }

    /// Converts `count` voxels, returning how many were non-finite and the smallest finite value.
    static func convert(_ source: UnsafeRawPointer, into out: UnsafeMutablePointer<Float>, count: Int,
                        request: Request) -> (nonFinite: Int, lowest: Float) {
        let (slope, intercept) = (request.slope, request.intercept)
        switch request.datatype {
        case .uint8: return convertIntegers(source, UInt8.self, out, count, slope, intercept)
        case .int8: return convertIntegers(source, Int8.self, out, count, slope, intercept)
        case .int16: return convertIntegers(source, Int16.self, out, count, slope, intercept)
        case .uint16: return convertIntegers(source, UInt16.self, out, count, slope, intercept)
        case .int32: return convertIntegers(source, Int32.self, out, count, slope, intercept)
        case .uint32: return convertIntegers(source, UInt32.self, out, count, slope, intercept)
        case .int64: return convertIntegers(source, Int64.self, out, count, slope, intercept)
        case .uint64: return convertIntegers(source, UInt64.self, out, count, slope, intercept)
        case .float32: return convertFloats(source, Float.self, out, count, slope, intercept)
        case .float64: return convertFloats(source, Double.self, out, count, slope, intercept)
        }
    }

    @inline(__always)
    static func convertIntegers<T: BinaryInteger>(_ source: UnsafeRawPointer, _: T.Type, _ out: UnsafeMutablePointer<Float>,
                                                  _ count: Int, _ slope: Double, _ intercept: Double) -> (nonFinite: Int, lowest: Float) {
        let typed = source.assumingMemoryBound(to: T.self)
        if slope == 1 && intercept == 0 {
            for i in 0..<count { out[i] = Float(typed[i]) }
        } else {
            for i in 0..<count { out[i] = Float(Double(typed[i]) * slope + intercept) }
        }
        return (0, .infinity)
    }

    @inline(__always)
    static func convertFloats<T: BinaryFloatingPoint>(_ source: UnsafeRawPointer, _: T.Type, _ out: UnsafeMutablePointer<Float>,
                                                      _ count: Int, _ slope: Double, _ intercept: Double) -> (nonFinite: Int, lowest: Float) {
        let typed = source.assumingMemoryBound(to: T.self)
        var nonFinite = 0
        var lowest = Float.infinity
        let scaled = !(slope == 1 && intercept == 0)
        for i in 0..<count {
            let v = scaled ? Float(Double(typed[i]) * slope + intercept) : Float(typed[i])
            out[i] = v
            if v.isFinite { lowest = min(lowest, v) } else { nonFinite += 1 }
        }
        return (nonFinite, lowest)
    }

    static func swapBytes(_ p: UnsafeMutableRawPointer, count: Int, width: Int) {
        let bytes = p.assumingMemoryBound(to: UInt8.self)
        for i in 0..<count {
            let base = bytes + i * width
            for j in 0..<(width / 2) { swap(&base[j], &base[width - 1 - j]) }
        }
    }
}

/// State shared between the decoding thread and the converting thread.
final class DecodeState: @unchecked Sendable {
    let file: UncheckedBox<gzFile>
    let raw: UncheckedBox<UnsafeMutableRawPointer>
    let request: VoxelDecoder.Request
    let chunks: Int
    /// Signalled once per decoded chunk (and for every remaining chunk after a failure).
    let ready = DispatchSemaphore(value: 0)
    /// Counts ring slots the converter has finished with. Created at 0 and signalled up to the ring size, because
    /// libdispatch traps when a semaphore is released below its initial value (as after an early error).
    let free = DispatchSemaphore(value: 0)
    let finished = DispatchSemaphore(value: 0)
    /// Written by the decoding thread before it signals `ready`.
    var failure: VolumeError?

    init(file: UncheckedBox<gzFile>, raw: UncheckedBox<UnsafeMutableRawPointer>, request: VoxelDecoder.Request, chunks: Int) {
        self.file = file
        self.raw = raw
        self.request = request
        self.chunks = chunks
        for _ in 0..<VoxelDecoder.ringSize { free.signal() }
    }

    func readAll() {
        defer { finished.signal() }
        let bytesPer = request.datatype.bytes
        let total = request.count * bytesPer
        let chunkBytes = VoxelDecoder.chunkVoxels * bytesPer
        var done = 0
        for chunk in 0..<chunks {
            free.wait()
            let slot = raw.value + (chunk % VoxelDecoder.ringSize) * chunkBytes
            let chunkStart = chunk * chunkBytes
            let end = min(total, chunkStart + chunkBytes)
            while done < end {
                let got = gzread(file.value, slot + (done - chunkStart), UInt32(end - done))
                if got <= 0 { break }
                done += Int(got)
            }
            if done < end || (chunk == chunks - 1 && !streamEndsCleanly()) {
                var status: Int32 = Z_OK
                let message = String(cString: gzerror(file.value, &status))
                let detail = status == Z_OK ? "" : ": \(message)"
                failure = VolumeError(request.reportAs, (request.compressed ? "gzip data is truncated or damaged"
                    : "data is truncated") + " (read \(done) of \(total) bytes\(detail))")
                for _ in chunk..<chunks { ready.signal() }
                return
            }
            ready.signal()
        }
    }

    /// For gzip files, reading past the data makes zlib check the end of the stream and its CRC.
    private func streamEndsCleanly() -> Bool {
        guard request.compressed else { return true }
        var next: UInt8 = 0
        _ = gzread(file.value, &next, 1)
        var status: Int32 = Z_OK
        _ = gzerror(file.value, &status)
        return status == Z_OK || status == Z_STREAM_END
    }
}
