import SAM
import Testing

/// The whole-decoder finite-difference check shared by the trainable parameterisations' tests: each trainable
/// tensor's gradient along a random direction against the central difference of the loss (h = 1e-5, relative
/// error below 1e-6 of max(1e-3, |numeric|)).
enum TrainableFiniteDifferences {
    /// Checks every tensor of `gradients` (in name order) and returns the worst relative error; `direction(count)`
    /// draws each tensor's direction.
    static func worstError(_ gradients: ParameterGradients<Double>, decoder: PlainMaskDecoder<Double>,
                           loss: (PlainMaskDecoder<Double>) -> Double, direction: (Int) -> [Double]) -> Double {
        var worst = 0.0
        for (name, gradient) in gradients.values.sorted(by: { $0.key < $1.key }) {
            let along = direction(gradient.count)
            func moved(_ h: Double) -> PlainMaskDecoder<Double> {
                var d = decoder
                d.visitTrainable { n, values in if n == name { for i in values.indices { values[i] += h * along[i] } } }
                return d
            }
            let h = 1e-5
            let numeric = (loss(moved(h)) - loss(moved(-h))) / (2 * h)
            let analytic = zip(gradient, along).map(*).reduce(0, +)
            let error = abs(numeric - analytic) / max(1e-3, abs(numeric))
            worst = max(worst, error)
            #expect(error < 1e-6, "\(name): analytic \(analytic), numeric \(numeric)")
        }
        return worst
    }
}
