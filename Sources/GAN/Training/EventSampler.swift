import Calo
import Tensor

/// G as a fast simulator: one event per condition, mapped back to GeV (docs/science.md §2.2:
/// E = max(exp(x) − 1, 0), cells below `threshold` set to 0).
public enum EventSampler {
    /// G's output is clamped at log(1 + E) = 30 (E ≈ 1e13 GeV) before the inverse, and a NaN
    /// output reads as 0: a wild generator (large γ) must give absurd but finite events, whose
    /// 900-cell sums and features stay finite, rather than stop the evaluation.
    public static let maximumLogEnergy: Float = 30

    /// `conditions`: N×5 standardised; z ~ N(0, 1) from `rng`; G runs in evaluation mode (a
    /// ResNet G's running statistics) in chunks of its `maxBatch`. Writes N×900 energies into `energy`.
    public static func generate(_ generator: any GeneratorNetwork, conditions: UnsafeBufferPointer<Float>, threshold: Float,
                                rng: inout SeededRandom, into energy: UnsafeMutableBufferPointer<Float>) {
        let dc = ConditionLayout.dimension, dz = generator.config.latent, width = dz + dc
        let n = conditions.count / dc
        precondition(energy.count == n * 900, "EventSampler: output buffer size")
        var start = 0
        while start < n {
            let b = min(generator.maxBatch, n - start)
            let input = generator.input.data
            for j in 0..<b {
                let row = input + j * width
                for k in 0..<dz { row[k] = Float(rng.normal()) }
                (row + dz).update(from: conditions.baseAddress! + (start + j) * dc, count: dc)
            }
            let x = generator.forward(batch: b, mode: .evaluation)
            let out = UnsafeMutableBufferPointer(rebasing: energy[(start * 900)..<((start + b) * 900)])
            for i in 0..<(b * 900) {
                let v = x.data[i]
                out[i] = v.isNaN ? 0 : min(v, maximumLogEnergy)
            }
            Preprocessing.inverseLogTransform(out, threshold: threshold)
            start += b
        }
    }
}
