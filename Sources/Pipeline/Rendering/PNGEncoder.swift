import SystemZlib
import Foundation

/// Encodes 8-bit grey or RGB images as PNG (zlib deflate, CRC-32 from zlib).
public enum PNGEncoder {
    /// `pixels`: row-major, `channels` (1 grey, 3 RGB) bytes per pixel.
    public static func encode(width: Int, height: Int, channels: Int, pixels: [UInt8]) -> Data {
        precondition(channels == 1 || channels == 3, "PNG grey or RGB")
        precondition(pixels.count == width * height * channels, "pixels must fill the image")
        var raw = [UInt8]()
        raw.reserveCapacity((width * channels + 1) * height)
        for row in 0..<height {
            raw.append(0)  // filter type None
            raw.append(contentsOf: pixels[(row * width * channels)..<((row + 1) * width * channels)])
        }
        var compressedSize = compressBound(uLong(raw.count))
        var compressed = [UInt8](repeating: 0, count: Int(compressedSize))
        let status = compress2(&compressed, &compressedSize, raw, uLong(raw.count), 6)
        precondition(status == Z_OK, "zlib compress2 failed with \(status)")
        compressed.removeSubrange(Int(compressedSize)...)

        var png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        var header = Data()
        header.append(bigEndian: UInt32(width))
        header.append(bigEndian: UInt32(height))
        header.append(contentsOf: [8, channels == 3 ? 2 : 0, 0, 0, 0])
        png.append(chunk: "IHDR", header)
        png.append(chunk: "IDAT", Data(compressed))
        png.append(chunk: "IEND", Data())
        return png
    }
}

extension Data {
    fileprivate mutating func append(bigEndian value: UInt32) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
    }

    fileprivate mutating func append(chunk type: String, _ body: Data) {
        append(bigEndian: UInt32(body.count))
        let typed = Data(type.utf8) + body
        append(typed)
        let crc = typed.withUnsafeBytes { SystemZlib.crc32(0, $0.bindMemory(to: Bytef.self).baseAddress, uInt(typed.count)) }
        append(bigEndian: UInt32(crc))
    }
}
