import ArgumentParser
import Foundation
import Imaging
import SAM
import Tensor
import Volume

/// `volsam bench engine` (the default of `volsam bench`): encoder and decoder speed against the machine's sgemm.
struct EngineBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine", abstract: "Time the LiteMedSAM encoder and decoder, and this machine's sgemm for scale.")

    @Option(name: .long, help: "Encoder runs timed (after one warm-up), each after an sgemm run; the best is reported.")
    var slices: Int = 5

    @Option(name: .long, help: "Decoder prompts timed.")
    var prompts: Int = 20

    @OptionGroup var model: ModelOptions

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    @Flag(name: .long, help: "Also print the encoder's time per stage.")
    var stages = false

    func run() throws {
        let threadCount = model.applyThreads()
        let loadStart = now()
        let model = try LiteMedSAM(weights: self.model.weights)
        let loadSeconds = now() - loadStart
        var generator = SystemRandomNumberGenerator()
        let slice = ImageSlice(width: 512, height: 512, pixels: (0..<(512 * 512)).map { _ in Float.random(in: 0...255, using: &generator) })
        let prepared = PreparedSlice(slice, frame: model.spec.frameSize)
        _ = model.encode(prepared.input)  // warm-up
        // Rounds alternate sgemm and one encoder run, so both see the same moments of a shared machine; the best
        // of each is the least disturbed figure, the median the typical one.
        // A batch of `threadCount` slices runs one slice per thread (what `volsam segment` does with the slices it
        // encodes ahead); its time per slice is the throughput figure.
        var encodeTimes: [Double] = [], batchTimes: [Double] = [], sgemmRates: [Double] = []
        var embedding = Tensor(zeros: [1])
        var encoderFlops = 0.0
        let batch = [Tensor](repeating: prepared.input, count: threadCount)
        for _ in 0..<max(1, slices) {
            sgemmRates.append(measureSGEMM())
            FlopCounter.reset()
            var start = now()
            embedding = model.encode(prepared.input)
            encodeTimes.append(now() - start)
            encoderFlops = Double(FlopCounter.value)
            start = now()
            _ = model.encode(batch)
            batchTimes.append((now() - start) / Double(batch.count))
        }
        let encodeSeconds = encodeTimes.min()!, encodeMedian = encodeTimes.sorted()[encodeTimes.count / 2]
        let batchSeconds = batchTimes.min()!, batchMedian = batchTimes.sorted()[batchTimes.count / 2]
        let sgemm = sgemmRates.max()!
        let boxes = (0..<max(1, prompts)).map { i -> ModelPrompt in
            let offset = Float(i % 10)
            return ModelPrompt(box: [60 + offset, 70, 180, 190 - offset])
        }
        // Prompts of one slice share the image-side work; best of 3 rounds, like the encoder.
        let decodeSeconds = (0..<3).map { _ in
            let start = now()
            _ = model.decode(embedding: embedding, prompts: boxes)
            return (now() - start) / Double(boxes.count)
        }.min()!
        let result: [String: Any] = [
            "threads": threadCount, "encoder_ms_per_slice": encodeSeconds * 1000, "encoder_ms_median": encodeMedian * 1000, "decoder_ms_per_prompt": decodeSeconds * 1000,
            "encoder_gflops": encoderFlops / encodeSeconds / 1e9, "encoder_gflop_per_slice": encoderFlops / 1e9,
            "sgemm_gflops": sgemm, "weights_load_s": loadSeconds, "encoder_fraction_of_sgemm": encoderFlops / encodeSeconds / 1e9 / sgemm,
            "encoder_batched_ms_per_slice": batchSeconds * 1000, "encoder_batched_ms_median": batchMedian * 1000,
            "encoder_batched_gflops": encoderFlops / batchSeconds / 1e9,
            "encoder_batched_fraction_of_sgemm": encoderFlops / batchSeconds / 1e9 / sgemm,
        ]
        if stages {
            let timer = StageTimer()
            _ = model.encode(prepared.input, timer: timer)
            _ = model.decode(embedding: embedding, prompts: boxes, timer: timer)
            for name in timer.order {
                let perPrompt = name.hasPrefix("decoder") && name != "decoder image cache"
                let value = timer.seconds[name]! * 1000 / (perPrompt ? Double(boxes.count) : 1)
                print("  " + name.padding(toLength: 32, withPad: " ", startingAt: 0)
                      + String(format: "%8.2f ms", value) + (perPrompt ? " per prompt (one thread each)" : ""))
            }
        }
        if json {
            let data = try JSONSerialization.data(withJSONObject: result, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(String(format: "threads %d: encoder %.1f ms/slice best, %.1f median (%.1f GFLOP, %.1f GFLOPS = %.0f%% of sgemm's best %.1f)",
                         threadCount, encodeSeconds * 1000, encodeMedian * 1000, encoderFlops / 1e9, encoderFlops / encodeSeconds / 1e9,
                         100 * encoderFlops / encodeSeconds / 1e9 / sgemm, sgemm))
            print(String(format: "  batches of %d slices, one per thread: %.1f ms/slice best, %.1f median (%.1f GFLOPS = %.0f%% of sgemm)",
                         batch.count, batchSeconds * 1000, batchMedian * 1000, encoderFlops / batchSeconds / 1e9,
                         100 * encoderFlops / batchSeconds / 1e9 / sgemm))
            print(String(format: "  decoder %.2f ms/prompt (%d prompts on one slice), weights loaded in %.2f s",
                         decodeSeconds * 1000, boxes.count, loadSeconds))
        }
    }

    /// sgemm throughput on a 4096x1280x320 product (a shape like the encoder's), best of 3.
    func measureSGEMM() -> Double {
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

    func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
}
