import TrialProtocol

/// What the GAN trains on (docs/science.md §2.2), N events in row-major arrays:
/// `images` N×900 log(1 + E), `conditions` N×5 standardised (px, py, pz, x0, y0),
/// `asymmetries` N×2 (asym_along, asym_across) of the raw event: the regressor's targets.
public struct TrainingSet: Sendable {
    public static let pixels = 900
    public let images: [Float]
    public let conditions: [Float]
    public let asymmetries: [Float]
    public var count: Int { conditions.count / ConditionLayout.dimension }

    public init(images: [Float], conditions: [Float], asymmetries: [Float]) {
        let n = conditions.count / ConditionLayout.dimension
        precondition(conditions.count == n * ConditionLayout.dimension && images.count == n * Self.pixels
                     && asymmetries.count == 2 * n, "TrainingSet: arrays disagree on the event count")
        self.images = images; self.conditions = conditions; self.asymmetries = asymmetries
    }
}

/// The optimisation settings of one trial (docs/science.md §5).
public struct TrainingOptions: Codable, Sendable, Equatable {
    public var batch: Int
    public var loss: AdversarialLoss
    /// D steps per G step.
    public var discriminatorSteps: Int
    /// α_reg, the weight of the regression loss in D's objective.
    public var regressionWeight: Double
    /// γ, Adam's learning rate for D (and G unless `generatorLearningRate` is set).
    public var learningRate: Double
    public var generatorLearningRate: Double?
    public var regularizer: Regularizer
    /// The trial seed: weights, noise, batch order, k-means.
    public var seed: UInt64
    /// A step whose D or G loss exceeds this in magnitude ends the trial as diverged, as a
    /// non-finite one does (docs/science.md §5). Why a threshold: in float32 a run that has blown up
    /// (γ = 10: losses 1e10–1e34, G's output 1e12) often stays finite — D's hinge saturates,
    /// its gradients vanish and nothing overflows — yet it never recovers and its PRD is 0.
    /// Healthy hinge/BCE/LS losses are O(1–100), Wasserstein ones at most ~L·‖x‖ ≈ 1e5 even
    /// without SN, so 1e8 flags only runs that have lost all scale. 3e38 keeps only the
    /// non-finite rule.
    public var divergenceThreshold: Double

    /// Every value explicit: a trial's come from its config (`TrialSettings`), whose defaults
    /// are TrialProtocol's.
    public init(batch: Int, loss: AdversarialLoss, discriminatorSteps: Int, regressionWeight: Double, learningRate: Double,
                generatorLearningRate: Double? = nil, regularizer: Regularizer, seed: UInt64,
                divergenceThreshold: Double = TrialConfig.Training.defaultDivergenceThreshold) {
        self.batch = batch; self.loss = loss; self.discriminatorSteps = discriminatorSteps
        self.regressionWeight = regressionWeight; self.learningRate = learningRate
        self.generatorLearningRate = generatorLearningRate; self.regularizer = regularizer; self.seed = seed
        self.divergenceThreshold = divergenceThreshold
    }
}
