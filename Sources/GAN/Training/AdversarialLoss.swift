import NN
import TrialProtocol

/// The adversarial losses of docs/science.md §5 (option `loss`) on D's raw scores. Each adds
/// its gradient into the given buffers (zeroed by the caller) and returns its value.
/// - bce: non-saturating minimax: D: BCE(D(x), 1) + BCE(D(G(z)), 0); G: BCE(D(G(z)), 1).
/// - hinge: D: mean relu(1 − D(x)) + mean relu(1 + D(G(z))); G: −mean D(G(z)).
/// - ls: least squares (Mao et al. 2017): D: ½·mean (D(x) − 1)² + ½·mean D(G(z))²; G: ½·mean (D(G(z)) − 1)².
/// - wasserstein: D: mean D(G(z)) − mean D(x); G: −mean D(G(z)).
extension AdversarialLoss {
    public func discriminator(real: UnsafeBufferPointer<Float>, fake: UnsafeBufferPointer<Float>,
                              realGradient: UnsafeMutableBufferPointer<Float>,
                              fakeGradient: UnsafeMutableBufferPointer<Float>) -> Double {
        switch self {
        case .bce:
            Loss.bceWithLogits(real, target: 1, gradient: realGradient)
                + Loss.bceWithLogits(fake, target: 0, gradient: fakeGradient)
        case .hinge:
            Loss.hingeDiscriminator(real: real, fake: fake, realGradient: realGradient, fakeGradient: fakeGradient)
        case .ls:
            Loss.leastSquares(real, target: 1, scale: 0.5, gradient: realGradient)
                + Loss.leastSquares(fake, target: 0, scale: 0.5, gradient: fakeGradient)
        case .wasserstein:
            Loss.wassersteinDiscriminator(real: real, fake: fake, realGradient: realGradient, fakeGradient: fakeGradient)
        }
    }

    public func generator(fake: UnsafeBufferPointer<Float>, gradient: UnsafeMutableBufferPointer<Float>) -> Double {
        switch self {
        case .bce: Loss.bceWithLogits(fake, target: 1, gradient: gradient)
        case .hinge, .wasserstein: Loss.negativeMean(fake, gradient: gradient)
        case .ls: Loss.leastSquares(fake, target: 1, scale: 0.5, gradient: gradient)
        }
    }
}
