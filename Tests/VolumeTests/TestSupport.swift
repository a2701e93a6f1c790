import Foundation
@testable import Volume

/// Paths of committed fixtures and of the optional real data in ../shared/data.
enum TestPaths {
    static let testsFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let repository = testsFolder.deletingLastPathComponent().deletingLastPathComponent()
    static let geometryFixtures = testsFolder.appendingPathComponent("Fixtures/geometry").path
    static let sharedData = repository.deletingLastPathComponent().appendingPathComponent("shared/data").path

    /// A path under ../shared/data, or nil (and a note on stdout) when the folder is absent.
    static func shared(_ relative: String) -> String? {
        let path = sharedData + "/" + relative
        if FileManager.default.fileExists(atPath: path) { return path }
        print("skipping: \(path) is absent")
        return nil
    }
}

/// A fresh temporary folder removed when the value is released.
final class TemporaryFolder {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "volsam-test-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }

    var contents: [String] { (try? FileManager.default.contentsOfDirectory(atPath: path))?.sorted() ?? [] }
}

/// Expected values nibabel computed for a fixture (tools/reference/make_geometry_fixtures.py).
struct NibabelExpectation: Decodable {
    let shape: [Int]
    let volumes: Int
    let affine: [[Double]]
    let zooms: [Double]
    let axcodes: String
    let datatype: String
    let qform_code: Int
    let sform_code: Int
    let data: [[Double]]
    let non_finite: Int
    let lps_shape: [Int]
    let lps_affine: [[Double]]
    let lps_data: [Double]

    static func all() throws -> [String: NibabelExpectation] {
        let data = try Data(contentsOf: URL(fileURLWithPath: TestPaths.geometryFixtures + "/expected.json"))
        return try JSONDecoder().decode([String: NibabelExpectation].self, from: data)
    }
}

func maxAbsDifference(_ a: [[Double]], _ b: [[Double]]) -> Double {
    zip(a.joined(), b.joined()).map { abs($0 - $1) }.max() ?? .infinity
}

/// A simple reproducible generator for test data.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
