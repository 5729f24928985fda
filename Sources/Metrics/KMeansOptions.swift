/// Settings of mini-batch k-means (docs/science.md §6: k-means++ start, batch 1,024, at least 100
/// iterations or convergence).
///
/// Stopping rule. One iteration = one mini-batch update. After each one the centres' movement
/// is measured relative to the data's spread,
///     move_t = Σ_c ‖c_t − c_{t−1}‖² / (k · Σ_j Var(x_j)),
/// i.e. the mean squared step of a centre as a fraction of the data's total variance (scale
/// free: the same tolerance serves 900 log-energies and 54 standardised features).
/// The run stops at the first iteration t ≥ `minIterations` at which move was below
/// `tolerance` in each of the last `window` iterations (converged), or at `maxIterations`.
/// With learning rate 1/count a centre's step shrinks like 1/t, so the rule detects the
/// point where further batches no longer move the partition.
public struct KMeansOptions: Codable, Sendable, Equatable {
    /// k, the number of centres requested.
    public var clusters: Int
    /// Points per mini-batch, drawn uniformly with replacement (as Sculley 2010).
    public var batchSize: Int
    /// Mini-batch iterations always performed.
    public var minIterations: Int
    /// Hard cap on mini-batch iterations.
    public var maxIterations: Int
    /// Relative movement threshold (see the stopping rule).
    public var tolerance: Double
    /// Consecutive iterations that must all be below `tolerance`.
    public var window: Int
    /// Points k-means++ seeds from (a uniform subset without replacement, as scikit-learn's
    /// `init_size`); nil → max(3·batchSize, 3·k), capped at the number of points.
    public var initSize: Int?

    public init(clusters: Int = 100, batchSize: Int = 1024, minIterations: Int = 100,
                maxIterations: Int = 1000, tolerance: Double = 1e-5, window: Int = 10,
                initSize: Int? = nil) {
        self.clusters = clusters
        self.batchSize = batchSize
        self.minIterations = minIterations
        self.maxIterations = maxIterations
        self.tolerance = tolerance
        self.window = window
        self.initSize = initSize
    }

    /// Throws on the first value out of range, naming it.
    public func validate() throws(MetricsError) {
        let check = MetricsError.check
        try check(clusters >= 1, "clusters", clusters, "an integer ≥ 1")
        try check(batchSize >= 1, "batch size", batchSize, "an integer ≥ 1")
        try check(minIterations >= 0, "minimum iterations", minIterations, "an integer ≥ 0")
        try check(maxIterations >= max(1, minIterations), "maximum iterations", maxIterations,
                  "an integer ≥ max(1, minimum iterations = \(minIterations))")
        try check(tolerance >= 0 && tolerance.isFinite, "tolerance", tolerance, "a finite number ≥ 0")
        try check(window >= 1, "convergence window", window, "an integer ≥ 1")
        if let initSize { try check(initSize >= 1, "init size", initSize, "an integer ≥ 1") }
    }
}

/// The outcome of one k-means fit.
public struct KMeansResult: Sendable, Equatable {
    /// Centres actually used: min(k, distinct points in the seeding subset). k-means++ stops
    /// early when every seeding point already coincides with a centre (all D² = 0), so k
    /// larger than the number of distinct points yields one centre per distinct point.
    public var clusters: Int
    public var dimension: Int
    /// clusters × dimension, row-major.
    public var centres: [Float]
    /// The nearest centre of every input point (ties → lowest index).
    public var assignments: [Int32]
    /// Mini-batch iterations performed.
    public var iterations: Int
    /// True if the stopping rule fired before `maxIterations`.
    public var converged: Bool
    /// Σ over all points of ‖x − nearest centre‖².
    public var inertia: Double
}
