import Tensor

/// PRD settings: k-means settings (k = `clusters`) and the number of clusterings averaged.
public struct PRDOptions: Codable, Sendable, Equatable {
    public var runs: Int
    public var kmeans: KMeansOptions

    public init(clusters: Int = 100, runs: Int = 3) {
        self.init(runs: runs, kmeans: KMeansOptions(clusters: clusters))
    }

    public init(runs: Int, kmeans: KMeansOptions) {
        self.runs = runs
        self.kmeans = kmeans
    }
}

/// One clustering's contribution to a PRD score.
public struct PRDRun: Codable, Sendable, Equatable {
    /// AUC of this run's curve alone (for spread; the score uses the averaged curve).
    public var auc: Double
    /// Centres used (less than k only with fewer distinct points than k).
    public var clusters: Int
    public var iterations: Int
    public var converged: Bool
}

/// A PRD score: the AUC of the run-averaged curve, the curve, and per-run details.
public struct PRDResult: Codable, Sendable, Equatable {
    public var auc: Double
    public var curve: PRDCurve
    public var runs: [PRDRun]
}

/// PRD of docs/science.md §6 on two samples of feature vectors. For each of `runs` clusterings (run r
/// seeded with `SeededRandom(seed:, stream: r)`): cluster the union real ∪ generated with
/// mini-batch k-means, count each sample's points per cluster, build the curve of the
/// generated histogram against the real one (`PRDCurve`); then average the curves pointwise
/// and take the AUC of the mean curve. Keeps its buffers (the union, k-means scratch) for reuse.
public final class PRDEvaluator {
    public let options: PRDOptions
    private let kmeans: MiniBatchKMeans
    private let union = ScratchBuffer<Float>()

    public init(options: PRDOptions) throws(MetricsError) {
        guard options.runs >= 1 else {
            throw .invalidOption(name: "PRD runs", value: "\(options.runs)", allowed: "an integer ≥ 1")
        }
        self.options = options
        self.kmeans = try MiniBatchKMeans(options: options.kmeans)
    }

    /// PRD of `generated` against `real`. With `standardize`, both are first standardised
    /// with the real sample's per-feature mean and sd (Physical PRD; see `Standardizer`).
    public func evaluate(real: FeatureMatrix, generated: FeatureMatrix, seed: UInt64,
                         standardize: Bool = false) throws(MetricsError) -> PRDResult {
        guard real.rows > 0 else { throw .emptySample("real") }
        guard generated.rows > 0 else { throw .emptySample("generated") }
        guard real.columns == generated.columns else {
            throw .dimensionMismatch(real: real.columns, generated: generated.columns)
        }
        if let bad = real.firstNonFinite() {
            throw .nonFiniteFeature(sample: "real", row: bad.row, column: bad.column, value: bad.value)
        }
        if let bad = generated.firstNonFinite() {
            throw .nonFiniteFeature(sample: "generated", row: bad.row, column: bad.column, value: bad.value)
        }
        if standardize {
            let standardizer = Standardizer(fittedTo: real)
            return try clusterAndScore(real: standardizer.apply(real), generated: standardizer.apply(generated), seed: seed)
        }
        return try clusterAndScore(real: real, generated: generated, seed: seed)
    }

    private func clusterAndScore(real: FeatureMatrix, generated: FeatureMatrix, seed: UInt64) throws(MetricsError) -> PRDResult {
        let d = real.columns, nReal = real.rows, n = real.rows + generated.rows
        let x = union.reserve(n * d)
        real.values.withUnsafeBufferPointer { x.update(from: $0.baseAddress!, count: nReal * d) }
        generated.values.withUnsafeBufferPointer { (x + nReal * d).update(from: $0.baseAddress!, count: generated.rows * d) }

        var curves: [PRDCurve] = []
        var runs: [PRDRun] = []
        for run in 0..<options.runs {
            var rng = SeededRandom(seed: seed, stream: UInt64(run))
            let fit = try kmeans.fit(x, rows: n, columns: d, random: &rng)
            var realCounts = [Double](repeating: 0, count: fit.clusters)
            var generatedCounts = realCounts
            for i in 0..<nReal { realCounts[Int(fit.assignments[i])] += 1 }
            for i in nReal..<n { generatedCounts[Int(fit.assignments[i])] += 1 }
            let curve = PRDCurve(reference: realCounts, evaluated: generatedCounts)
            curves.append(curve)
            runs.append(PRDRun(auc: curve.area, clusters: fit.clusters,
                               iterations: fit.iterations, converged: fit.converged))
        }
        let mean = PRDCurve.average(curves)
        return PRDResult(auc: mean.area, curve: mean, runs: runs)
    }
}
