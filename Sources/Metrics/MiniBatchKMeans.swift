import Tensor

/// Mini-batch k-means (Sculley 2010, "Web-scale k-means clustering") with k-means++ seeding
/// (Arthur & Vassilvitskii 2007). One instance keeps its scratch buffers between fits.
///
/// Per iteration: draw b points uniformly with replacement; find each one's nearest centre
/// with one GEMM, argmin_c ‖x − c‖² = argmin_c (‖c‖² − 2 x·c) (the ‖x‖² term is common to a
/// row); then update each centre from its points with per-centre counts v_c. Sculley's rule
/// takes the points one at a time: v_c += 1, η = 1/v_c, c ← (1 − η)c + η x. Applied to the
/// m_c batch points of centre c in turn, that running mean equals
///     c ← (v_c·c + Σ x) / (v_c + m_c),   v_c ← v_c + m_c,
/// which is what is computed here (one pass per centre instead of m_c).
/// Finally every point is assigned to its nearest centre (GEMM in chunks of b rows).
///
/// Determinism: everything random comes from the `SeededRandom` passed in; with
/// `BLAS.threads = 1` the same seed gives bit-identical results.
public final class MiniBatchKMeans {
    public let options: KMeansOptions

    private let batchRows = ScratchBuffer<Float>()     // b × D gathered batch
    private let dots = ScratchBuffer<Float>()          // b × k  x·c
    private let centres = ScratchBuffer<Float>()       // k × D
    private let centreNorms = ScratchBuffer<Float>()   // k      ‖c‖²
    private let sums = ScratchBuffer<Float>()          // k × D  Σx of the batch per centre
    private let batchCounts = ScratchBuffer<Int32>()   // k      m_c
    private let counts = ScratchBuffer<Double>()       // k      v_c
    private let labels = ScratchBuffer<Int32>()        // b
    private let seedDistances = ScratchBuffer<Double>() // init subset: D² to nearest centre
    private let seedOwners = ScratchBuffer<Int32>()     // init subset: index of that centre

    public init(options: KMeansOptions) throws(MetricsError) {
        try options.validate()
        self.options = options
    }

    /// Clusters the rows of `data`.
    public func fit(_ data: FeatureMatrix, seed: UInt64) throws(MetricsError) -> KMeansResult {
        var rng = SeededRandom(seed: seed)
        return try data.values.withUnsafeBufferPointer { (x) throws(MetricsError) -> KMeansResult in
            try fit(x.baseAddress!, rows: data.rows, columns: data.columns, random: &rng)
        }
    }

    /// Clusters `rows` row-major vectors of length `columns` at `data`. `spread`: the data's
    /// `totalVariance` when the caller has it (repeated fits of one data set), else computed here.
    public func fit(_ data: UnsafePointer<Float>, rows n: Int, columns d: Int,
                    random rng: inout SeededRandom, spread: Double? = nil) throws(MetricsError) -> KMeansResult {
        guard n >= 1 else { throw .emptySample("data") }
        guard d >= 1 else { throw .invalidOption(name: "feature count", value: "0", allowed: "at least 1 feature") }
        let k = seedCentres(data, rows: n, columns: d, random: &rng)
        let (iterations, converged) = runMiniBatches(data, rows: n, columns: d, clusters: k, random: &rng,
                                                     spread: spread ?? Self.totalVariance(data, rows: n, columns: d))
        var assignments = [Int32](repeating: 0, count: n)
        let inertia = assignments.withUnsafeMutableBufferPointer {
            assignAll(data, rows: n, columns: d, clusters: k, into: $0.baseAddress!)
        }
        return KMeansResult(clusters: k, dimension: d,
                            centres: Array(UnsafeBufferPointer(start: centres.pointer, count: k * d)),
                            assignments: assignments, iterations: iterations,
                            converged: converged, inertia: inertia)
    }

    // MARK: k-means++

    /// Seeds up to k centres from a uniform subset of `initSize` rows: the first uniformly,
    /// each next one with probability ∝ D²(x) = squared distance to the nearest centre so far.
    /// Stops early when every subset point coincides with a centre (Σ D² = 0). Returns the
    /// number of centres seeded.
    ///
    /// Updating D² after a new centre c' is a pass over the subset, memory-bound at the RAW
    /// shape. The triangle inequality skips most of it (Elkan 2003): if x's nearest centre is
    /// c_j and ‖c' − c_j‖ ≥ 2‖x − c_j‖, then ‖x − c'‖ ≥ ‖c' − c_j‖ − ‖x − c_j‖ ≥ ‖x − c_j‖,
    /// so c' cannot be nearer and D²(x) stays as it is — in squares, ‖c' − c_j‖² ≥ 4·D²(x).
    private func seedCentres(_ data: UnsafePointer<Float>, rows n: Int, columns d: Int,
                             random rng: inout SeededRandom) -> Int {
        let k = options.clusters
        let m = min(n, options.initSize ?? max(3 * options.batchSize, 3 * k))
        // A uniform m-subset: the first m entries of a partial Fisher–Yates shuffle.
        var subset = Array(0..<n)
        if m < n {
            for i in 0..<m { subset.swapAt(i, i + rng.index(below: n - i)) }
        }
        let c = centres.reserve(k * d)
        let nearest = seedDistances.reserve(m)
        let owner = seedOwners.reserve(m)
        var betweenCentres = [Double](repeating: 0, count: k)
        func adopt(_ row: Int, as centre: Int) {
            let new = c + centre * d
            new.update(from: data + row * d, count: d)
            for j in 0..<centre { betweenCentres[j] = Double(VectorKernels.squaredDistance(new, c + j * d, d)) }
            for i in 0..<m {
                if centre > 0 && betweenCentres[Int(owner[i])] >= 4 * nearest[i] { continue }
                let dist = Double(VectorKernels.squaredDistance(data + subset[i] * d, new, d))
                if centre == 0 || dist < nearest[i] {
                    nearest[i] = dist
                    owner[i] = Int32(centre)
                }
            }
        }
        adopt(subset[rng.index(below: m)], as: 0)
        var chosen = 1
        while chosen < k {
            var total = 0.0
            for i in 0..<m { total += nearest[i] }
            if total == 0 { break }  // fewer distinct points than k: every one is a centre
            let target = rng.uniform() * total
            var cumulative = 0.0, pick = -1
            for i in 0..<m where nearest[i] > 0 {
                cumulative += nearest[i]
                pick = i
                if cumulative > target { break }
            }
            adopt(subset[pick], as: chosen)
            chosen += 1
        }
        return chosen
    }

    // MARK: mini-batch updates

    private func runMiniBatches(_ data: UnsafePointer<Float>, rows n: Int, columns d: Int,
                                clusters k: Int, random rng: inout SeededRandom, spread: Double) -> (Int, Bool) {
        let b = min(options.batchSize, n)
        let x = batchRows.reserve(b * d)
        let xc = dots.reserve(b * k)
        let c = centres.pointer
        let norms = centreNorms.reserve(k)
        let s = sums.reserve(k * d)
        let m = batchCounts.reserve(k)
        let v = counts.reserve(k)
        let label = labels.reserve(b)
        for j in 0..<k {
            norms[j] = VectorKernels.squaredNorm(c + j * d, d)
            v[j] = 0
        }
        var recentMoves = [Double](repeating: .infinity, count: options.window)

        for iteration in 1...options.maxIterations {
            for r in 0..<b {
                (x + r * d).update(from: data + rng.index(below: n) * d, count: d)
            }
            BLAS.sgemm(transB: true, m: b, n: k, k: d, a: x, lda: d, b: c, ldb: d, c: xc, ldc: k)
            nearestCentres(dots: xc, rows: b, clusters: k, norms: norms, into: label)

            s.update(repeating: 0, count: k * d)
            m.update(repeating: 0, count: k)
            for r in 0..<b {
                let j = Int(label[r])
                m[j] += 1
                VectorKernels.add(x + r * d, into: s + j * d, d)
            }
            var moved = 0.0
            for j in 0..<k where m[j] > 0 {
                let batchCount = Double(m[j])
                let updated = v[j] + batchCount
                // c ← c + η (mean_batch − c), η = m_c / (v_c + m_c): the running mean above.
                let eta = Float(batchCount / updated), inverse = 1 / Float(batchCount)
                let centre = c + j * d, sum = s + j * d
                var step2: Float = 0, norm2: Float = 0
                for t in 0..<d {
                    let step = eta * (sum[t] * inverse - centre[t])
                    centre[t] += step
                    step2 += step * step
                    norm2 += centre[t] * centre[t]
                }
                v[j] = updated
                norms[j] = norm2
                moved += Double(step2)
            }
            recentMoves[iteration % options.window] = spread > 0 ? moved / (Double(k) * spread) : 0
            if iteration >= options.minIterations, recentMoves.allSatisfy({ $0 < options.tolerance }) {
                return (iteration, iteration < options.maxIterations)
            }
        }
        return (options.maxIterations, false)
    }

    /// Σ_j Var(x_j) (population variances), two passes in Double: the scale of the stopping rule.
    public static func totalVariance(_ data: UnsafePointer<Float>, rows n: Int, columns d: Int) -> Double {
        var mean = [Double](repeating: 0, count: d)
        for i in 0..<n { for t in 0..<d { mean[t] += Double(data[i * d + t]) } }
        for t in 0..<d { mean[t] /= Double(n) }
        var total = 0.0
        for i in 0..<n {
            for t in 0..<d {
                let e = Double(data[i * d + t]) - mean[t]
                total += e * e
            }
        }
        return total / Double(n)
    }

    // MARK: assignment

    /// label[r] = argmin_c (‖c‖² − 2·dots[r, c]); ties go to the lowest index.
    private func nearestCentres(dots: UnsafePointer<Float>, rows: Int, clusters k: Int,
                                norms: UnsafePointer<Float>, into label: UnsafeMutablePointer<Int32>) {
        for r in 0..<rows {
            let row = dots + r * k
            var best = norms[0] - 2 * row[0], bestIndex = 0
            for j in 1..<max(k, 1) {
                let value = norms[j] - 2 * row[j]
                if value < best { best = value; bestIndex = j }
            }
            label[r] = Int32(bestIndex)
        }
    }

    /// Assigns every point (chunks of b rows straight from `data`, no copy) and returns the
    /// inertia Σ max(0, ‖x‖² − 2x·c + ‖c‖²) (clamped: the expansion can round below 0).
    private func assignAll(_ data: UnsafePointer<Float>, rows n: Int, columns d: Int, clusters k: Int,
                           into assignments: UnsafeMutablePointer<Int32>) -> Double {
        let chunk = min(options.batchSize, n)
        let xc = dots.reserve(chunk * k)
        let norms = centreNorms.pointer
        var inertia = 0.0
        var start = 0
        while start < n {
            let rows = min(chunk, n - start)
            let x = data + start * d
            BLAS.sgemm(transB: true, m: rows, n: k, k: d, a: x, lda: d, b: centres.pointer, ldb: d, c: xc, ldc: k)
            nearestCentres(dots: xc, rows: rows, clusters: k, norms: norms, into: assignments + start)
            for r in 0..<rows {
                let j = Int(assignments[start + r])
                let distance = VectorKernels.squaredNorm(x + r * d, d) - 2 * xc[r * k + j] + norms[j]
                inertia += Double(max(0, distance))
            }
            start += rows
        }
        return inertia
    }
}
