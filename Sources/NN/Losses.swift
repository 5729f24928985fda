import Foundation

/// Losses of docs/science.md §5 on raw outputs (logits) of D or on regression outputs. Each returns
/// its value (in Double) and, when given a gradient buffer, ADDS scale·∂loss/∂input to it,
/// so several terms on the same outputs (e.g. hinge + LeCam) accumulate; zero it first.
/// Every mean is over the elements passed. All values are multiplied by `scale`.
public enum Loss {
    @inline(__always)
    private static func accumulate(_ gradient: UnsafeMutableBufferPointer<Float>?, _ i: Int, _ value: Double) {
        if let g = gradient { g[i] += Float(value) }
    }

    /// mean_i BCE(sigmoid(x_i), t) = mean_i [max(x,0) − x·t + log(1 + e^(−|x|))] (stable form of
    /// F.binary_cross_entropy_with_logits); ∂/∂x_i = (sigmoid(x_i) − t)/n.
    /// GAN use: D: bce(real, 1) + bce(fake, 0); non-saturating G: bce(fake, 1).
    public static func bceWithLogits(_ x: UnsafeBufferPointer<Float>, target t: Float, scale: Double = 1,
                                     gradient: UnsafeMutableBufferPointer<Float>? = nil) -> Double {
        let n = Double(x.count), tt = Double(t)
        var sum = 0.0
        for i in x.indices {
            let v = Double(x[i])
            sum += max(v, 0) - v * tt + log1p(exp(-abs(v)))
            accumulate(gradient, i, scale * (1 / (1 + exp(-v)) - tt) / n)
        }
        return scale * sum / n
    }

    /// Hinge, D form: mean relu(1 − D(x)) + mean relu(1 + D(G(z))).
    /// ∂/∂real_i = −1/n where real_i < 1; ∂/∂fake_j = 1/m where fake_j > −1 (0 at the kink).
    public static func hingeDiscriminator(real: UnsafeBufferPointer<Float>, fake: UnsafeBufferPointer<Float>,
                                          scale: Double = 1,
                                          realGradient: UnsafeMutableBufferPointer<Float>? = nil,
                                          fakeGradient: UnsafeMutableBufferPointer<Float>? = nil) -> Double {
        let n = Double(real.count), m = Double(fake.count)
        var a = 0.0, b = 0.0
        for i in real.indices where real[i] < 1 {
            a += 1 - Double(real[i]); accumulate(realGradient, i, -scale / n)
        }
        for j in fake.indices where fake[j] > -1 {
            b += 1 + Double(fake[j]); accumulate(fakeGradient, j, scale / m)
        }
        return scale * (a / n + b / m)
    }

    /// −mean x: the hinge G loss −mean D(G(z)) and the Wasserstein G loss; ∂/∂x_i = −1/n.
    public static func negativeMean(_ x: UnsafeBufferPointer<Float>, scale: Double = 1,
                                    gradient: UnsafeMutableBufferPointer<Float>? = nil) -> Double {
        let n = Double(x.count)
        var sum = 0.0
        for i in x.indices { sum += Double(x[i]); accumulate(gradient, i, -scale / n) }
        return -scale * sum / n
    }

    /// Wasserstein, D form (critic): mean D(G(z)) − mean D(x).
    public static func wassersteinDiscriminator(real: UnsafeBufferPointer<Float>, fake: UnsafeBufferPointer<Float>,
                                                scale: Double = 1,
                                                realGradient: UnsafeMutableBufferPointer<Float>? = nil,
                                                fakeGradient: UnsafeMutableBufferPointer<Float>? = nil) -> Double {
        // −mean real (∂ = −1/n) plus mean fake = −(−mean fake) with ∂ = +1/m.
        negativeMean(real, scale: scale, gradient: realGradient)
            + negativeMean(fake, scale: -scale, gradient: fakeGradient)
    }

    /// Least squares (LSGAN, Mao et al. 2017): mean (x_i − t)²; ∂/∂x_i = 2(x_i − t)/n.
    /// GAN use with scale ½: D: ls(real, 1) + ls(fake, 0); G: ls(fake, 1). Also LeCam's
    /// E[(D(x) − a_F)²] with t = a_F.
    public static func leastSquares(_ x: UnsafeBufferPointer<Float>, target t: Float, scale: Double = 1,
                                    gradient: UnsafeMutableBufferPointer<Float>? = nil) -> Double {
        let n = Double(x.count), tt = Double(t)
        var sum = 0.0
        for i in x.indices {
            let d = Double(x[i]) - tt
            sum += d * d; accumulate(gradient, i, scale * 2 * d / n)
        }
        return scale * sum / n
    }

    /// Mean squared error over all elements (F.mse_loss): mean (p_i − y_i)²; ∂/∂p_i = 2(p_i − y_i)/n.
    public static func mse(_ prediction: UnsafeBufferPointer<Float>, target: UnsafeBufferPointer<Float>,
                           scale: Double = 1, gradient: UnsafeMutableBufferPointer<Float>? = nil) -> Double {
        precondition(prediction.count == target.count, "mse: \(prediction.count) predictions, \(target.count) targets")
        let n = Double(prediction.count)
        var sum = 0.0
        for i in prediction.indices {
            let d = Double(prediction[i]) - Double(target[i])
            sum += d * d; accumulate(gradient, i, scale * 2 * d / n)
        }
        return scale * sum / n
    }
}
