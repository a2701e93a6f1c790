import SystemZlib
import Foundation
import Imaging
import Testing
@testable import Pipeline
@testable import Volume

@Suite struct RenderingTests {
    /// Splits a PNG into chunks, checking every CRC.
    func chunks(_ png: Data) -> [(String, Data)] {
        var out: [(String, Data)] = []
        var at = 8
        let bytes = [UInt8](png)
        while at + 12 <= bytes.count {
            let length = Int(bytes[at]) << 24 | Int(bytes[at + 1]) << 16 | Int(bytes[at + 2]) << 8 | Int(bytes[at + 3])
            let typeAndBody = Array(bytes[(at + 4)..<(at + 8 + length)])
            let stored = UInt32(bytes[at + 8 + length]) << 24 | UInt32(bytes[at + 9 + length]) << 16
                | UInt32(bytes[at + 10 + length]) << 8 | UInt32(bytes[at + 11 + length])
            let crc = UInt32(crc32(0, typeAndBody, uInt(typeAndBody.count)))
            #expect(crc == stored)
            out.append((String(decoding: typeAndBody[0..<4], as: UTF8.self), Data(typeAndBody[4...])))
            at += 12 + length
        }
        return out
    }

    @Test func pngDecodesToThePixels() throws {
        let pixels: [UInt8] = [0, 128, 255, 10, 20, 30]
        let png = PNGEncoder.encode(width: 3, height: 2, channels: 1, pixels: pixels)
        #expect(png.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        let parts = chunks(png)
        #expect(parts.map(\.0) == ["IHDR", "IDAT", "IEND"])
        var raw = [UInt8](repeating: 0, count: 8)
        var rawSize = uLongf(raw.count)
        let idat = [UInt8](parts[1].1)
        #expect(uncompress(&raw, &rawSize, idat, uLong(idat.count)) == Z_OK)
        #expect(raw == [0, 0, 128, 255, 0, 10, 20, 30])
    }

    @Test func overlayTintsLabelledPixels() {
        let image = ImageSlice(width: 2, height: 1, pixels: [0.5, 0.5])
        let labels = ImageSlice(width: 2, height: 1, pixels: [0, 3])
        let rgb = SliceRenderer.rgb(image, labels: labels)
        #expect(rgb[0] == rgb[1] && rgb[1] == rgb[2])
        #expect(rgb[3] != rgb[4] || rgb[4] != rgb[5])
        let text = SliceRenderer.text(ImageSlice(width: 8, height: 8, pixels: [Float](repeating: 1, count: 64)),
                                      labels: nil, columns: 4)
        #expect(text == "@@@@\n@@@@")
    }
}
