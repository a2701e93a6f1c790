import Foundation
import SAM
import Synchronization
import Tensor
@testable import Pipeline

/// A stand-in for the model in the 256 frame: a box prompt selects the bright pixels (> 0.5) inside the box, a
/// positive point the bright pixels within 4 pixels of it. It counts its encoder runs and records every prompt.
final class FakeSliceModel: PromptableSliceModel, Sendable {
    let frameSize = 256
    let encodes = Mutex(0)
    let prompts = Mutex([ModelPrompt]())

    func encode(_ slice: PreparedSlice) -> Tensor {
        encodes.withLock { $0 += 1 }
        return slice.input
    }

    func decode(_ embedding: Tensor, prompts list: [ModelPrompt]) -> [Tensor] {
        prompts.withLock { $0 += list }
        return list.map { prompt in
            var logits = [Float](repeating: -4, count: 65536)
            for y in 0..<256 {
                for x in 0..<256 where embedding.data[(y * 256 + x) * 3] > 0.5 {
                    var hit = false
                    if let b = prompt.box, Float(x) >= b[0], Float(x) <= b[2], Float(y) >= b[1], Float(y) <= b[3] { hit = true }
                    for p in prompt.points where p.positive && abs(Float(x) - p.x) <= 4 && abs(Float(y) - p.y) <= 4 { hit = true }
                    if hit { logits[y * 256 + x] = 4 }
                }
            }
            return Tensor(shape: [256, 256], data: logits)
        }
    }
}
