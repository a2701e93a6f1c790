import Foundation
import SystemZlib
@testable import SAM
@testable import Tensor

/// The golden fixtures dumped from PyTorch (tools/reference/dump_litemedsam_fixtures.py).
struct GoldenCase {
    struct Prompt: Decodable {
        let kind: String
        let box: [Int]?
        let box256: [Int]?
        let points256: [[Double]]?
        /// A dense mask prompt (the previous slice's low-res logits, [256, 256]) stored beside the fixture.
        let mask_input: String?
        let iou: Double
        let mask_pixels: Int
    }

    struct Embedding: Decodable {
        let mean: Double, std: Double, max_abs: Double
        let sample_index: [Int], sample_value: [Double]
    }

    struct Meta: Decodable {
        let height: Int, width: Int, resized: [Int]
        let prompts: [Prompt]
        let embedding: Embedding
    }

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path
    static let names = ["ct_dicom_512", "ct_abdomen_122x101", "brats_flair_240", "mr_abdomen_117x91"]

    let name: String
    let meta: Meta

    init(_ name: String) throws {
        self.name = name
        meta = try JSONDecoder().decode(Meta.self, from: Data(contentsOf: URL(fileURLWithPath: Self.root + "/\(name)/meta.json")))
    }

    func floats(_ file: String) throws -> [Float] {
        let data = try Self.gunzip(Self.root + "/\(name)/\(file)")
        return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }

    func bytes(_ file: String) throws -> [UInt8] { [UInt8](try Self.gunzip(Self.root + "/\(name)/\(file)")) }

    static func gunzip(_ path: String) throws -> Data {
        guard let file = gzopen(path, "rb") else { throw CheckpointError(path, "cannot open") }
        defer { gzclose(file) }
        var out = Data()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let got = gzread(file, &buffer, UInt32(buffer.count))
            if got <= 0 { break }
            out.append(contentsOf: buffer[0..<Int(got)])
        }
        return out
    }

    /// The model input: the stored single channel repeated over 3 channels, channels-last.
    func modelInput() throws -> Tensor {
        let channel = try floats("input.f32.gz")
        var data = [Float](repeating: 0, count: 256 * 256 * 3)
        for p in 0..<(256 * 256) { for c in 0..<3 { data[p * 3 + c] = channel[p] } }
        return Tensor(shape: [256, 256, 3], data: data)
    }

    func prompt(_ p: Prompt) throws -> ModelPrompt {
        if let file = p.mask_input {
            return ModelPrompt(box: p.box256?.map(Float.init), mask: Tensor(shape: [256, 256], data: try floats(file)))
        }
        if let box = p.box256 { return ModelPrompt(box: box.map(Float.init)) }
        return ModelPrompt(points: (p.points256 ?? []).map { (Float($0[0]), Float($0[1]), $0[2] == 1) })
    }
}

/// The model, loaded once for all parity tests (nil when the weights are not fetched).
enum SharedModel {
    static let model: LiteMedSAM? = try? LiteMedSAM()
}
