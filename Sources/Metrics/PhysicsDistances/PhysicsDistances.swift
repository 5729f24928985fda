import Calo

/// The physics distances of one generated sample against a real one (docs/science.md §6.1).
/// Lower is better for all of them; nil = not computed (not selected).
public struct PhysicsDistances: Codable, Sendable, Equatable {
    /// Fréchet physics distance and the standard error of its extrapolation.
    public var fpd: DistanceEstimate?
    /// Kernel physics distance (MMD², quartic kernel): median and half the 16–84 % range.
    public var kpd: DistanceEstimate?
    /// Kernel inception-style distance (MMD², cubic kernel), summarised like KPD.
    public var kid: DistanceEstimate?
    /// 1-D Wasserstein-1 distance of every feature, in the features' own units (not scaled).
    public var w1: [Double]?

    public init(fpd: DistanceEstimate? = nil, kpd: DistanceEstimate? = nil, kid: DistanceEstimate? = nil, w1: [Double]? = nil) {
        self.fpd = fpd
        self.kpd = kpd
        self.kid = kid
        self.w1 = w1
    }

    /// Fewest events per sample: an FPD fit needs two subsample sizes ≥ 2.
    public static let minimumEvents = 3

    // The W1 figures recorded per epoch, for the 54 physics features of PhysicsFeatures
    // ([asym_along, asym_across, width_along, width_across, sparsity×50]); nil otherwise.
    public var w1AsymmetryAlong: Double? { physicsW1?[0] }
    public var w1AsymmetryAcross: Double? { physicsW1?[1] }
    public var w1WidthAlong: Double? { physicsW1?[2] }
    public var w1WidthAcross: Double? { physicsW1?[3] }
    /// Mean W1 over the 50 sparsity features.
    public var w1Sparsity: Double? {
        guard let w = physicsW1 else { return nil }
        return w[4...].reduce(0, +) / Double(PhysicsFeatures.sparsityLevels)
    }

    private var physicsW1: [Double]? { w1.flatMap { $0.count == PhysicsFeatures.count ? $0 : nil } }
}
