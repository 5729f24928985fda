/// The learning-rate bound bookkeeping of docs/science.md §7: gradient descent on an L-smooth objective
/// converges for γ ≤ 2/L (paper eq. 10), so each trial records L_30 (the Lipschitz bound of
/// docs/science.md §5.1 reported after epoch N_e), 2/L_30, whether its γ is within it, and for `hinge` the
/// margin's own bound 2/m (the soft margin caps Π|k_i| near m).
public struct LipschitzBoundCheck: Codable, Sendable, Equatable {
    /// N_e.
    public var epochs: Int
    /// γ, the trial's learning rate.
    public var learningRate: Double
    /// L at epoch N_e (nil when unavailable, see `reason`).
    public var bound: Double?
    /// 2 / L_N_e.
    public var twoOverBound: Double?
    /// γ ≤ 2 / L_N_e.
    public var lrWithinBound: Bool?
    /// 2 / m, only for the `hinge` regularizer (nil otherwise).
    public var twoOverMargin: Double?
    /// Why the bound values are missing (nil when present).
    public var reason: String?

    /// From the per-epoch bounds (element i−1 = L after epoch i), γ, and the hinge margin m
    /// (pass nil for every other regularizer). A bound that is not finite and positive
    /// gives no 2/L (it would be 0 or ∞, and JSON cannot hold ∞).
    public static func compute(bounds: [Double], learningRate: Double, hingeMargin: Double? = nil,
                               epochs: Int = 30) -> LipschitzBoundCheck {
        let twoOverMargin = hingeMargin.flatMap { $0 > 0 && $0.isFinite ? 2 / $0 : nil }
        func without(_ why: String) -> LipschitzBoundCheck {
            LipschitzBoundCheck(epochs: epochs, learningRate: learningRate, bound: nil, twoOverBound: nil,
                                lrWithinBound: nil, twoOverMargin: twoOverMargin, reason: why)
        }
        guard epochs >= 1, bounds.count >= epochs else {
            return without("the trial has \(bounds.count) epochs, fewer than qg_epochs = \(epochs)")
        }
        let bound = bounds[epochs - 1]
        guard bound.isFinite, bound > 0 else { return without("the Lipschitz bound at epoch \(epochs) is \(bound)") }
        let twoOverBound = 2 / bound
        return LipschitzBoundCheck(epochs: epochs, learningRate: learningRate, bound: bound,
                                   twoOverBound: twoOverBound, lrWithinBound: learningRate <= twoOverBound,
                                   twoOverMargin: twoOverMargin, reason: nil)
    }
}
