/// A distance with its error: for FPD the standard error of the extrapolated intercept, for
/// KPD and KID half the 16.275–83.725 % inter-quantile range of the per-draw estimates.
public struct DistanceEstimate: Codable, Sendable, Equatable {
    public var value: Double
    public var error: Double

    public init(value: Double, error: Double) {
        self.value = value
        self.error = error
    }

    /// jetnet's summary of repeated estimates: the median (numpy.median: the mean of the two
    /// middle values for an even count) and half of scipy.stats.iqr(v, rng=(16.275, 83.725)),
    /// whose quantiles numpy interpolates linearly between order statistics (position
    /// q·(n − 1) in the sorted values). 16.275/83.725 are jetnet's choice, a little inside the
    /// ±1σ quantiles 15.866/84.134 of a normal distribution. `values` must not be empty.
    public static func summary(of values: [Double]) -> DistanceEstimate {
        precondition(!values.isEmpty, "DistanceEstimate.summary: no values")
        let sorted = values.sorted()
        let upper = quantile(sorted, 0.83725), lower = quantile(sorted, 0.16275)
        return DistanceEstimate(value: quantile(sorted, 0.5), error: (upper - lower) / 2)
    }

    /// numpy.percentile's default ("linear") quantile of ascending `sorted` values, q in [0, 1].
    static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        let position = q * Double(sorted.count - 1)
        let below = Int(position.rounded(.down)), above = min(below + 1, sorted.count - 1)
        return sorted[below] + (position - Double(below)) * (sorted[above] - sorted[below])
    }
}
