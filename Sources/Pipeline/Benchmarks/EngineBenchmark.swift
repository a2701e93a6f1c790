import Foundation
import Imaging
import SAM
import Tensor

/// Encoder and decoder speed against this machine's sgemm, in-process (`volsam bench engine`). Rounds alternate
/// an sgemm run and an encoder run so both see the same moments of a shared machine; the best of each is the
/// least disturbed figure, the median the typical one. A batch of `threads` slices runs one slice per thread
/// (what `volsam segment` does with the slices it encodes ahead); its time per slice is the throughput figure.
public struct EngineBenchmark {
    public var weights: String?
    public var threads: Int
    /// Encoder rounds timed after one warm-up.
    public var rounds = 5
    /// Box prompts decoded on one slice.
    public var prompts = 20

    public init(weights: String?, threads: Int) {
        self.weights = weights
        self.threads = threads
    }

    /// The figures (times in ms, rates in GFLOPS), and each stage's time when `stages` is set (name, ms, per prompt).
    public func run(stages: Bool = false) throws -> (figures: [String: Any], stages: [(name: String, ms: Double, perPrompt: Bool)]) {
        EngineThreads.set(threads)
        let loadStart = Self.now()
        let model = try LiteMedSAM(weights: weights)
        let loadSeconds = Self.now() - loadStart
        var generator = SystemRandomNumberGenerator()
        let slice = ImageSlice(width: 512, height: 512, pixels: (0..<(512 * 512)).map { _ in Float.random(in: 0...255, using: &generator) })
        let prepared = PreparedSlice(slice, frame: model.spec.frameSize)
        _ = model.encode(prepared.input)  // warm-up
        var encodeTimes: [Double] = [], batchTimes: [Double] = [], sgemmRates: [Double] = []
        var embedding = Tensor(zeros: [1])
        var encoderFlops = 0.0
        let batch = [Tensor](repeating: prepared.input, count: threads)
        for _ in 0..<max(1, rounds) {
            sgemmRates.append(Self.sgemmGFLOPS())
            FlopCounter.reset()
            var start = Self.now()
            embedding = model.encode(prepared.input)
            encodeTimes.append(Self.now() - start)
            encoderFlops = Double(FlopCounter.value)
            start = Self.now()
            _ = model.encode(batch)
            batchTimes.append((Self.now() - start) / Double(batch.count))
        }
        let encode = encodeTimes.min()!, batched = batchTimes.min()!, sgemm = sgemmRates.max()!
        let boxes = (0..<max(1, prompts)).map { i -> ModelPrompt in
            let offset = Float(i % 10)
            return ModelPrompt(box: [60 + offset, 70, 180, 190 - offset])
        }
        // Prompts of one slice share the image-side work; best of 3 rounds, like the encoder.
        let decode = (0..<3).map { _ in
            let start = Self.now()
            _ = model.decode(embedding: embedding, prompts: boxes)
            return (Self.now() - start) / Double(boxes.count)
        }.min()!
        let figures: [String: Any] = [
            "threads": threads, "encoder_ms_per_slice": encode * 1000, "encoder_ms_median": Self.median(encodeTimes) * 1000,
            "decoder_ms_per_prompt": decode * 1000, "decoder_prompts": boxes.count,
            "encoder_gflops": encoderFlops / encode / 1e9, "encoder_gflop_per_slice": encoderFlops / 1e9,
            "sgemm_gflops": sgemm, "weights_load_s": loadSeconds, "encoder_fraction_of_sgemm": encoderFlops / encode / 1e9 / sgemm,
            "encoder_batched_ms_per_slice": batched * 1000, "encoder_batched_ms_median": Self.median(batchTimes) * 1000,
            "encoder_batched_gflops": encoderFlops / batched / 1e9,
            "encoder_batched_fraction_of_sgemm": encoderFlops / batched / 1e9 / sgemm,
            "machine": RunRecord.machine(threads: threads),
        ]
        guard stages else { return (figures, []) }
        let timer = StageTimer()
        _ = model.encode(prepared.input, timer: timer)
        _ = model.decode(embedding: embedding, prompts: boxes, timer: timer)
        return (figures, timer.order.map { name in
            let perPrompt = name.hasPrefix("decoder") && name != "decoder image cache"
            return (name, timer.seconds[name]! * 1000 / (perPrompt ? Double(boxes.count) : 1), perPrompt)
        })
    }

    /// The figures as `volsam bench` prints them.
    public static func summary(_ r: [String: Any]) -> String {
        func f(_ key: String) -> Double { r[key] as? Double ?? .nan }
        let threads = r["threads"] as? Int ?? 0, machine = r["machine"] as? [String: Any] ?? [:]
        return ["\(machine["cpu_model"] ?? "?") (\(machine["vector_level"] ?? "?")): \(machine["blas"] ?? "?"); VolSAM's kernels: "
                + "\(machine["kernels"] ?? "?")",
                String(format: "threads %d: encoder %.1f ms/slice best, %.1f median (%.1f GFLOP, %.1f GFLOPS = %.0f%% of sgemm's best %.1f)",
                       threads, f("encoder_ms_per_slice"), f("encoder_ms_median"), f("encoder_gflop_per_slice"), f("encoder_gflops"),
                       100 * f("encoder_fraction_of_sgemm"), f("sgemm_gflops")),
                String(format: "  batches of %d slices, one per thread: %.1f ms/slice best, %.1f median (%.1f GFLOPS = %.0f%% of sgemm)",
                       threads, f("encoder_batched_ms_per_slice"), f("encoder_batched_ms_median"), f("encoder_batched_gflops"),
                       100 * f("encoder_batched_fraction_of_sgemm")),
                String(format: "  decoder %.2f ms/prompt (%d prompts on one slice), weights loaded in %.2f s",
                       f("decoder_ms_per_prompt"), r["decoder_prompts"] as? Int ?? 0, f("weights_load_s"))].joined(separator: "\n")
    }

    /// sgemm throughput on a 4096x1280x320 product (a shape like the encoder's), best of 3.
    public static func sgemmGFLOPS() -> Double {
        let (m, n, k) = (4096, 1280, 320)
        let a = [Float](repeating: 0.5, count: m * k), b = [Float](repeating: 0.25, count: k * n)
        var c = [Float](repeating: 0, count: m * n)
        var best = Double.infinity
        for _ in 0..<3 {
            let start = now()
            a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
                GEMM.multiply(ap.baseAddress!, bp.baseAddress!, into: cp.baseAddress!, m: m, n: n, k: k)
            } } }
            best = min(best, now() - start)
        }
        return 2 * Double(m * n * k) / best / 1e9
    }

    static func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
}
