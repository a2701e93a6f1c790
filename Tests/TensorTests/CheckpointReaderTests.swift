import Foundation
import Testing
@testable import Tensor

/// Checkpoints written by torch.save (tools/reference/make_checkpoint_fixtures.py) read exactly.
@Suite struct CheckpointReaderTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path

    struct Expected: Decodable {
        let shape: [Int]
        let values: [Double]
    }

    static func expected(_ file: String) throws -> [String: Expected] {
        try JSONDecoder().decode([String: Expected].self,
                                 from: Data(contentsOf: URL(fileURLWithPath: fixtures + "/" + file)))
    }

    func check(_ tensors: [String: CheckpointTensor], against expected: [String: Expected]) {
        #expect(Set(tensors.keys) == Set(expected.keys))
        for (name, want) in expected {
            guard let got = tensors[name] else { continue }
            #expect(got.shape == want.shape, "\(name)")
            #expect(got.values.count == want.values.count, "\(name)")
            for (a, b) in zip(got.values, want.values) {
                #expect(Double(a) == Float(b).doubleValue || abs(Double(a) - b) <= 1e-7 * max(1, abs(b)), "\(name): \(a) vs \(b)")
            }
        }
    }

    @Test func readsDtypesViewsOffsetsAndParameters() throws {
        let tensors = try CheckpointReader.read(path: Self.fixtures + "/mixed.pth")
        check(tensors, against: try Self.expected("expected.json"))
        #expect(tensors["float16"]?.storedType == .float16 && tensors["int64_scalar"]?.shape == [])
    }

    @Test func unwrapsModelDictionaries() throws {
        let tensors = try CheckpointReader.read(path: Self.fixtures + "/wrapped.pth")
        check(tensors, against: try Self.expected("expected.json"))
    }

    @Test func refusesGlobalsOutsideTheAllowList() {
        do {
            _ = try CheckpointReader.read(path: Self.fixtures + "/not_allowed.pth")
            Issue.record("a checkpoint naming __main__.NotAllowed was accepted")
        } catch let error as CheckpointError {
            #expect(error.problem.contains("NotAllowed"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func readsSafetensors() throws {
        let tensors = try CheckpointReader.read(path: Self.fixtures + "/small.safetensors")
        check(tensors, against: try Self.expected("small_safetensors.json"))
    }

    @Test func damagedFilesAreClearErrors() throws {
        let folder = NSTemporaryDirectory() + "volsam-ckpt-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let text = folder + "/notes.pth"
        try Data("not a checkpoint".utf8).write(to: URL(fileURLWithPath: text))
        #expect(throws: CheckpointError.self) { try CheckpointReader.read(path: text) }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: Self.fixtures + "/mixed.pth"))
        let cut = folder + "/cut.pth"
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: cut))
        #expect(throws: (any Error).self) { try CheckpointReader.read(path: cut) }
        var header = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.fixtures + "/small.safetensors")))
        header[0] = 0xFF
        let bad = folder + "/bad.safetensors"
        try Data(header).write(to: URL(fileURLWithPath: bad))
        #expect(throws: CheckpointError.self) { try CheckpointReader.read(path: bad) }
        #expect(throws: CheckpointError.self) { try CheckpointReader.read(path: folder + "/missing.pth") }
    }

    /// One bit flipped inside a tensor's stored bytes: the zip still opens, only the entry's CRC-32 tells.
    @Test func aFlippedBitInsideATensorFailsItsCRC() throws {
        let folder = NSTemporaryDirectory() + "volsam-ckpt-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.fixtures + "/mixed.pth")))
        let first = Float(-1.1258398294448853).bitPattern  // the first value of the "contiguous" tensor
        let pattern = (0..<4).map { UInt8((first >> (8 * $0)) & 0xFF) }
        let at = try #require((0..<(bytes.count - 4)).first { Array(bytes[$0..<($0 + 4)]) == pattern })
        bytes[at] ^= 0x01
        let damaged = folder + "/damaged.pth"
        try Data(bytes).write(to: URL(fileURLWithPath: damaged))
        let error = #expect(throws: CheckpointError.self) { try CheckpointReader.read(path: damaged) }
        #expect(error?.description.contains("CRC-32") == true, "\(String(describing: error))")
        #expect(try CheckpointReader.read(path: damaged, verifyCRC: false)["contiguous"] != nil, "read when the SHA-256 was checked")
    }
}

extension Float {
    fileprivate var doubleValue: Double { Double(self) }
}
