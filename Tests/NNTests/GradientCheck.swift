import Tensor
import NN

/// Central-difference gradient checking in float32.
///
/// Numeric gradient: (L(θ + h) − L(θ − h)) / 2h with h = 1e-2, L accumulated in Double.
/// Agreement criterion (stated tolerance): max_i |analytic_i − numeric_i| ≤ 1e-3 · max_i |numeric_i|
/// (a max-norm relative error). Float rounding of the outputs contributes ~1e-5 here, and the
/// inputs are kept ≥ 0.05 away from kinks (LeakyReLU at 0, hinge at ±1), so a correct backward
/// passes by a wide margin while a gradient 1% off (×1.01) fails.
enum GradientCheck {
    static let tolerance = 1e-3
    static let step: Float = 1e-2

    static func numeric(_ values: UnsafeMutablePointer<Float>, count: Int, step: Float = step,
                        loss: () -> Double) -> [Double] {
        (0..<count).map { i in
            let saved = values[i]
            values[i] = saved + step
            let plus = loss()
            values[i] = saved - step
            let minus = loss()
            values[i] = saved
            return (plus - minus) / (2 * Double(step))
        }
    }

    /// max |a − n| / max |n| (absolute when the numeric gradient is all ~0).
    static func relativeError(_ analytic: [Float], _ numeric: [Double]) -> Double {
        precondition(analytic.count == numeric.count)
        let scale = max(numeric.map(abs).max() ?? 0, 1e-6)
        return zip(analytic, numeric).map { abs(Double($0) - $1) }.max()! / scale
    }

    /// Σ r·y in Double: a random linear functional, so ∂L/∂y = r.
    static func dot(_ y: Tensor, _ r: Tensor) -> Double {
        var s = 0.0
        for i in 0..<y.count { s += Double(y.data[i]) * Double(r.data[i]) }
        return s
    }

    /// Uniform in ±[0.05, 1]: away from the kink of (leaky) ReLU.
    static func awayFromZero(_ t: Tensor, _ rng: inout SeededRandom) {
        for i in 0..<t.count {
            let m = Float(rng.uniform(0.05, 1))
            t.data[i] = rng.uniform() < 0.5 ? -m : m
        }
    }

    static func normal(_ t: Tensor, _ rng: inout SeededRandom) {
        rng.fillNormal(t.buffer)
    }
}

/// Analytic and numeric gradients of L = Σ r·layer(x) w.r.t. x and the layer's parameters
/// (its `parameters` views into the store, in allocation order).
struct LayerGradients {
    var analyticInput: [Float], numericInput: [Double]
    var analyticParameters: [Float], numericParameters: [Double]
    var inputError: Double { GradientCheck.relativeError(analyticInput, numericInput) }
    var parameterError: Double {
        analyticParameters.isEmpty ? 0 : GradientCheck.relativeError(analyticParameters, numericParameters)
    }

    /// The analytic pass is a `.training` forward (one power-iteration step under SN) and its
    /// backward; the numeric pass uses `.evaluation` forwards, i.e. the same u, v held fixed:
    /// exactly the function whose gradient the SN backward claims to compute.
    init(_ layer: some Layer, input x: Tensor, rng: inout SeededRandom) {
        let y = layer.forward(x, mode: .training)
        let r = Tensor(n: y.n, c: y.c, h: y.h, w: y.w)
        GradientCheck.normal(r, &rng)
        let values = layer.parameters.values, gradients = layer.parameters.gradients
        for g in gradients { g.update(repeating: 0) }
        analyticInput = layer.backward(r).toArray()
        analyticParameters = gradients.flatMap { Array($0) }
        numericInput = GradientCheck.numeric(x.data, count: x.count) {
            GradientCheck.dot(layer.forward(x, mode: .evaluation), r)
        }
        numericParameters = values.flatMap { v in
            GradientCheck.numeric(v.baseAddress!, count: v.count) { GradientCheck.dot(layer.forward(x, mode: .evaluation), r) }
        }
    }
}
