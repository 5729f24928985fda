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
    /// Opt-in wall time per `PRDPart` (`PRDPart.times()`); nil leaves the evaluation untimed.
    public var profile: PartTimes?

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
        let (realRows, generatedRows) = profile.measure(PRDPart.preparation.rawValue) { () -> (FeatureMatrix, FeatureMatrix) in
            guard standardize else { return (real, generated) }
            let standardizer = Standardizer(fittedTo: real)
            return (standardizer.apply(real), standardizer.apply(generated))
        }
        let d = real.columns, nReal = real.rows, n = real.rows + generated.rows
        let x = union.reserve(n * d)
        profile.measure(PRDPart.preparation.rawValue) {
            realRows.values.withUnsafeBufferPointer { x.update(from: $0.baseAddress!, count: nReal * d) }
            generatedRows.values.withUnsafeBufferPointer { (x + nReal * d).update(from: $0.baseAddress!, count: generated.rows * d) }
        }
        return try clusterAndScore(x, realRows: nReal, rows: n, columns: d, seed: seed, spread: nil)
    }

    /// PRD of `generated` against a prepared real sample: bit for bit `evaluate(real:generated:
    /// seed:standardize:)` of the sample the reference was made from, without redoing its
    /// real-side work (check, standardisation, copy into the union), and with the union's
    /// spread (`MiniBatchKMeans.totalVariance`) computed once for all `runs` clusterings.
    public func evaluate(reference: PRDReference, generated: FeatureMatrix, seed: UInt64) throws(MetricsError) -> PRDResult {
        guard generated.rows > 0 else { throw .emptySample("generated") }
        guard reference.columns == generated.columns else {
            throw .dimensionMismatch(real: reference.columns, generated: generated.columns)
        }
        if let bad = generated.firstNonFinite() {
            throw .nonFiniteFeature(sample: "generated", row: bad.row, column: bad.column, value: bad.value)
        }
        let d = reference.columns, nReal = reference.rows, n = nReal + generated.rows
        let x = profile.measure(PRDPart.preparation.rawValue) {
            let x = reference.union(generatedRows: generated.rows)
            let rows = reference.standardizer?.apply(generated) ?? generated
            rows.values.withUnsafeBufferPointer { (x + nReal * d).update(from: $0.baseAddress!, count: generated.rows * d) }
            return x
        }
        let spread = profile.measure(PRDPart.kmeans.rawValue) { MiniBatchKMeans.totalVariance(x, rows: n, columns: d) }
        return try clusterAndScore(x, realRows: nReal, rows: n, columns: d, seed: seed, spread: spread)
    }

    /// The `runs` clusterings of the union `x` (real rows first), their histograms and curves.
    /// `spread`: the union's total variance when known (nil: each fit computes it).
    private func clusterAndScore(_ x: UnsafePointer<Float>, realRows nReal: Int, rows n: Int, columns d: Int, seed: UInt64,
                                 spread: Double?) throws(MetricsError) -> PRDResult {
        var curves: [PRDCurve] = []
        var runs: [PRDRun] = []
        for run in 0..<options.runs {
            var rng = SeededRandom(seed: seed, stream: UInt64(run))
            let fit = try profile.measure(PRDPart.kmeans.rawValue) { () throws(MetricsError) in
                try kmeans.fit(x, rows: n, columns: d, random: &rng, spread: spread)
            }
            profile.measure(PRDPart.curves.rawValue) {
                var realCounts = [Double](repeating: 0, count: fit.clusters)
                var generatedCounts = realCounts
                for i in 0..<nReal { realCounts[Int(fit.assignments[i])] += 1 }
                for i in nReal..<n { generatedCounts[Int(fit.assignments[i])] += 1 }
                let curve = PRDCurve(reference: realCounts, evaluated: generatedCounts)
                curves.append(curve)
                runs.append(PRDRun(auc: curve.area, clusters: fit.clusters,
                                   iterations: fit.iterations, converged: fit.converged))
            }
        }
        let mean = profile.measure(PRDPart.curves.rawValue) { PRDCurve.average(curves) }
        return PRDResult(auc: mean.area, curve: mean, runs: runs)
    }
}

/// A real sample prepared once for the PRDs of many generated samples against it (the trainer
/// scores every evaluated epoch against the same held-out events): checked, standardised when
/// asked (its `Standardizer` kept for the generated samples), and copied to the front of its
/// own union buffer, so an evaluation copies only the generated rows behind it.
public final class PRDReference {
    public let rows: Int, columns: Int
    let standardizer: Standardizer?
    /// (rows + generatedCapacity) × columns: the prepared real rows, then room for generated ones.
    private var buffer: UnsafeMutablePointer<Float>
    private var generatedCapacity = 0

    /// `standardize`: Physical PRD's standardisation with the real sample's statistics.
    public init(real: FeatureMatrix, standardize: Bool = false) throws(MetricsError) {
        guard real.rows > 0 else { throw .emptySample("real") }
        if let bad = real.firstNonFinite() {
            throw .nonFiniteFeature(sample: "real", row: bad.row, column: bad.column, value: bad.value)
        }
        rows = real.rows; columns = real.columns
        standardizer = standardize ? Standardizer(fittedTo: real) : nil
        let prepared = standardizer?.apply(real) ?? real
        buffer = .allocate(capacity: max(1, rows * columns))
        prepared.values.withUnsafeBufferPointer { buffer.update(from: $0.baseAddress!, count: rows * columns) }
    }

    deinit { buffer.deallocate() }

    /// The union buffer with room for `generatedRows` rows after the real ones (grown, the
    /// real rows carried over, when it has less).
    func union(generatedRows: Int) -> UnsafeMutablePointer<Float> {
        if generatedRows > generatedCapacity {
            let grown = UnsafeMutablePointer<Float>.allocate(capacity: (rows + generatedRows) * columns)
            grown.update(from: buffer, count: rows * columns)
            buffer.deallocate()
            buffer = grown
            generatedCapacity = generatedRows
        }
        return buffer
    }
}

/// The parts of a PRD evaluation `PRDEvaluator.profile` times.
public enum PRDPart: Int, CaseIterable, Sendable {
    /// Standardisation and copying the samples into the union.
    case preparation
    /// The `runs` mini-batch k-means fits (seeding, mini-batches, assignment; the union's spread).
    case kmeans
    /// Per-cluster histograms, curves, their average and AUC.
    case curves

    public static func times(clock: PartTimes.Clock = .wall) -> PartTimes {
        PartTimes(names: ["PRD preparation", "k-means", "PRD histograms + curves"], clock: clock)
    }
}
