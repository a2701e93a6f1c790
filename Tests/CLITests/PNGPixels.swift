import Foundation
import SystemZlib

/// Decodes an 8-bit RGB or RGBA PNG (the reports' montages, headless Chromium's screenshots) into RGB pixels, to
/// check an image's size and what it shows.
struct PNGPixels {
    let width: Int, height: Int
    /// Row-major RGB.
    let rgb: [UInt8]

    init?(path: String) {
        guard let data = try? [UInt8](Data(contentsOf: URL(fileURLWithPath: path))), data.count > 33,
              data.prefix(8).elementsEqual([137, 80, 78, 71, 13, 10, 26, 10]) else { return nil }
        func be(_ at: Int) -> Int { data[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }
        (width, height) = (be(16), be(20))
        let (depth, colorType, interlace) = (data[24], data[25], data[28])
        guard depth == 8, colorType == 2 || colorType == 6, interlace == 0, width > 0, height > 0, width * height < 50_000_000 else { return nil }
        let channels = colorType == 2 ? 3 : 4
        var compressed: [UInt8] = [], at = 8
        while at + 8 <= data.count {
            let length = be(at), type = String(decoding: data[(at + 4)..<(at + 8)], as: UTF8.self)
            guard at + 12 + length <= data.count else { return nil }
            if type == "IDAT" { compressed += data[(at + 8)..<(at + 8 + length)] }
            at += 12 + length
        }
        let stride = width * channels
        var raw = [UInt8](repeating: 0, count: (stride + 1) * height)
        var size = uLongf(raw.count)
        guard uncompress(&raw, &size, compressed, uLong(compressed.count)) == Z_OK, Int(size) == raw.count else { return nil }
        var out = [UInt8](repeating: 0, count: stride * height)
        for y in 0..<height {
            let filter = raw[y * (stride + 1)]
            for x in 0..<stride {
                let v = Int(raw[y * (stride + 1) + 1 + x])
                let a = x >= channels ? Int(out[y * stride + x - channels]) : 0
                let b = y > 0 ? Int(out[(y - 1) * stride + x]) : 0
                let c = x >= channels && y > 0 ? Int(out[(y - 1) * stride + x - channels]) : 0
                let predicted: Int
                switch filter {
                case 1: predicted = a
                case 2: predicted = b
                case 3: predicted = (a + b) / 2
                case 4:
                    let p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
                    predicted = pa <= pb && pa <= pc ? a : (pb <= pc ? b : c)
                default: predicted = 0
                }
                out[y * stride + x] = UInt8((v + predicted) & 255)
            }
        }
        rgb = (0..<(width * height)).flatMap { p in out[(p * channels)..<(p * channels + 3)] }
    }

    /// How many pixels have exactly this colour.
    func count(_ color: (UInt8, UInt8, UInt8)) -> Int {
        var n = 0
        for p in 0..<(width * height) where rgb[p * 3] == color.0 && rgb[p * 3 + 1] == color.1 && rgb[p * 3 + 2] == color.2 { n += 1 }
        return n
    }
}
