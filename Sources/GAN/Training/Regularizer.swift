import TrialProtocol

/// The Lipschitz regularizers of docs/science.md §5.1 (soft-margin paper eqs. 6–9; LeCam:
/// Tseng et al. 2021), as the trainer applies them.
extension RegularizerKind {
    /// Every conv and FC weight of D is spectrally normalised (all but `none`).
    public var usesSpectralNorm: Bool { self != .none }

    /// Which of k1, k2, k3 are trained; the others stay frozen at 1.
    public var trainableScales: [Bool] {
        switch self {
        case .none, .sn, .lecam: [false, false, false]
        case .alphaK: [false, false, true]
        case .l2, .linf, .hinge: [true, true, true]
        }
    }
}

/// A regularizer with its strengths: α (alpha-k, l2, linf, hinge), the soft margin m
/// (hinge) and λ (lecam).
public struct Regularizer: Codable, Sendable, Equatable {
    public var kind: RegularizerKind
    public var alpha: Double
    public var margin: Double
    public var lambda: Double

    public init(kind: RegularizerKind, alpha: Double = RegularizerParameter.alpha.defaultValue,
                margin: Double = RegularizerParameter.margin.defaultValue,
                lambda: Double = RegularizerParameter.lambda.defaultValue) {
        self.kind = kind; self.alpha = alpha; self.margin = margin; self.lambda = lambda
    }

    /// D's extra loss in the k_i and its gradient ∂/∂k_i (docs/science.md §5.1 table):
    ///   alpha-k  α·k3                      ∂k3 = α
    ///   l2       α·Σ k_i²                  ∂k_i = 2α·k_i
    ///   linf     α·Π|k_i|                  ∂k_i = α·sign(k_i)·Π_{j≠i}|k_j|
    ///   hinge    α·max(0, Π|k_i| − m)      as linf where Π|k_i| > m, else 0
    /// (d|k|/dk = sign(k), 0 at k = 0, and relu'(0) = 0, as PyTorch's autograd.)
    /// Zero for none, sn and lecam (LeCam's term depends on D's outputs: `LeCamState`).
    public func scaleTerm(_ k: SIMD3<Double>) -> (value: Double, gradient: SIMD3<Double>) {
        let a = SIMD3(abs(k[0]), abs(k[1]), abs(k[2])), product = a[0] * a[1] * a[2]
        let sign = SIMD3<Double>(k[0] > 0 ? 1 : k[0] < 0 ? -1 : 0,
                                 k[1] > 0 ? 1 : k[1] < 0 ? -1 : 0,
                                 k[2] > 0 ? 1 : k[2] < 0 ? -1 : 0)
        let productGradient = sign * SIMD3(a[1] * a[2], a[0] * a[2], a[0] * a[1])
        switch kind {
        case .none, .sn, .lecam:
            return (0, .zero)
        case .alphaK:
            return (alpha * k[2], SIMD3(0, 0, alpha))
        case .l2:
            return (alpha * (k * k).sum(), 2 * alpha * k)
        case .linf:
            return (alpha * product, alpha * productGradient)
        case .hinge:
            return product > margin ? (alpha * (product - margin), alpha * productGradient) : (0, .zero)
        }
    }
}

/// LeCam regularisation (Tseng et al. 2021, "RLC"):
///   R = λ·(E[(D(x) − a_F)²] + E[(D(G(z)) − a_R)²])
/// with a_R, a_F exponential moving averages (decay 0.99) of D's mean output on real and
/// fake batches. Each D step first folds the batch means into the averages (the first step
/// takes them as they are), then evaluates R with the updated averages as constants.
public struct LeCamState: Codable, Sendable, Equatable {
    public static let decay = 0.99
    public var realAverage: Double?
    public var fakeAverage: Double?

    public init(realAverage: Double? = nil, fakeAverage: Double? = nil) {
        self.realAverage = realAverage; self.fakeAverage = fakeAverage
    }

    public mutating func update(realMean: Double, fakeMean: Double) {
        realAverage = realAverage.map { Self.decay * $0 + (1 - Self.decay) * realMean } ?? realMean
        fakeAverage = fakeAverage.map { Self.decay * $0 + (1 - Self.decay) * fakeMean } ?? fakeMean
    }
}
