import Tensor

/// FPD (Kansal et al. 2023; docs/science.md §6.1), as jetnet's `fpd`: at `points` subsample
/// sizes evenly spaced in 1/N between n_min and n_max, `batches` times each, draw n rows of each
/// sample uniformly WITH replacement, fit a Gaussian to each (mean, covariance with divisor
/// n − 1) and take their Fréchet distance; average the draws of each size, then extrapolate the
/// averages linearly in 1/n to 1/n → 0 with `ConstrainedLineFit` (intercept and slope ≥ 0).
/// The intercept is the FPD, its standard error the error. Sizes as jetnet computes them:
/// n_k = ⌊1 / x_k⌋ with x = linspace(1/n_min, 1/n_max, points), and the fit uses x = 1/n_k.
/// Buffers are allocated once per sample shape.
final class FrechetPhysicsDistance {
    let d: Int
    private let frechet: FrechetDistance
    private let gaussian: GaussianFit
    private let counts = ScratchBuffer<Int32>()
    private let mean1: UnsafeMutablePointer<Double>, mean2: UnsafeMutablePointer<Double>
    private let covariance1: UnsafeMutablePointer<Double>, covariance2: UnsafeMutablePointer<Double>
    private let realMean: UnsafeMutablePointer<Double>, generatedMean: UnsafeMutablePointer<Double>

    init(dimension d: Int) {
        self.d = d
        frechet = FrechetDistance(dimension: d)
        gaussian = GaussianFit(dimension: d)
        mean1 = .allocate(capacity: d); mean2 = .allocate(capacity: d)
        covariance1 = .allocate(capacity: d * d); covariance2 = .allocate(capacity: d * d)
        realMean = .allocate(capacity: d); generatedMean = .allocate(capacity: d)
    }

    deinit {
        for p in [mean1, mean2, covariance1, covariance2, realMean, generatedMean] { p.deallocate() }
    }

    /// FPD of `generated` against `real` (both already scaled, row-major with d columns).
    /// nil only if every draw's eigenvalue iteration failed.
    func estimate(real: UnsafePointer<Double>, realRows: Int, generated: UnsafePointer<Double>, generatedRows: Int,
                  sizes: [Int], batches: Int, random: inout SeededRandom) -> DistanceEstimate? {
        columnMeans(real, rows: realRows, into: realMean)
        columnMeans(generated, rows: generatedRows, into: generatedMean)
        let c = counts.reserve(max(realRows, generatedRows))
        var x: [Double] = [], y: [Double] = []
        for n in sizes {
            var sum = 0.0, fits = 0
            for _ in 0..<batches {
                draw(n, from: realRows, into: c, random: &random)
                gaussian.fit(sample: real, rows: realRows, sampleMean: realMean, counts: c, mean: mean1, covariance: covariance1)
                draw(n, from: generatedRows, into: c, random: &random)
                gaussian.fit(sample: generated, rows: generatedRows, sampleMean: generatedMean, counts: c,
                             mean: mean2, covariance: covariance2)
                if let fd = frechet.distance(mean1: mean1, covariance1: covariance1, mean2: mean2, covariance2: covariance2) {
                    sum += fd
                    fits += 1
                }
            }
            if fits > 0 {
                x.append(1 / Double(n))
                y.append(sum / Double(fits))
            }
        }
        guard !x.isEmpty else { return nil }
        let fit = ConstrainedLineFit(x: x, y: y)
        return DistanceEstimate(value: fit.intercept, error: fit.interceptError)
    }

    /// `count` rows drawn uniformly with replacement from `rows`, as counts per row.
    private func draw(_ count: Int, from rows: Int, into c: UnsafeMutablePointer<Int32>, random: inout SeededRandom) {
        c.update(repeating: 0, count: rows)
        for _ in 0..<count { c[random.index(below: rows)] += 1 }
    }

    private func columnMeans(_ x: UnsafePointer<Double>, rows: Int, into mean: UnsafeMutablePointer<Double>) {
        for j in 0..<d { mean[j] = 0 }
        for i in 0..<rows {
            for j in 0..<d { mean[j] += x[i * d + j] }
        }
        for j in 0..<d { mean[j] /= Double(rows) }
    }
}
