import Foundation
import Tensor

/// Adam (Kingma & Ba 2015) with bias correction, exactly as torch.optim.Adam (no weight decay):
///   t ← t + 1;  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
///   p ← p − lr · (m / (1−β1ᵗ)) / (√(v / (1−β2ᵗ)) + ε)
/// over every trainable parameter of a store in one loop (frozen ranges are skipped).
public struct Adam: Sendable, Equatable {
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float

    /// Defaults are docs/science.md §5's: β1 = 0, β2 = 0.99, ε = 1e-8.
    public init(learningRate: Float, beta1: Float = 0, beta2: Float = 0.99, epsilon: Float = 1e-8) {
        self.learningRate = learningRate; self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon
    }

    public func step(_ store: ParameterStore) {
        store.step += 1
        let t = Double(store.step)
        let stepSize = Float(Double(learningRate) / (1 - pow(Double(beta1), t)))
        let rootCorrection2 = Float((1 - pow(Double(beta2), t)).squareRoot())
        let b1 = beta1, b2 = beta2, eps = epsilon
        let p = store.parameters, g = store.gradients, m = store.firstMoment, v = store.secondMoment
        for range in store.trainableRanges {
            for i in range {
                let gi = g[i]
                let mi = b1 * m[i] + (1 - b1) * gi
                let vi = b2 * v[i] + (1 - b2) * gi * gi
                m[i] = mi; v[i] = vi
                p[i] -= stepSize * mi / (vi.squareRoot() / rootCorrection2 + eps)
            }
        }
    }
}
