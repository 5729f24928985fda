import Foundation

/// Student's t distribution: the sampling distribution of a mean over n seeds divided by its
/// estimated standard error, with ν = n − 1 degrees of freedom (or the pooled ν, docs/science.md
/// "Seeds and intervals").
public enum StudentT {
    /// P(T ≤ t) for T ~ t(ν).
    /// For t ≥ 0: F(t) = 1 − ½ · I_x(ν/2, ½) with x = ν / (ν + t²), I the regularized
    /// incomplete beta function; F(−t) = 1 − F(t).
    public static func cdf(_ t: Double, degreesOfFreedom nu: Double) -> Double {
        precondition(nu > 0, "degrees of freedom must be positive")
        let tail = 0.5 * regularizedIncompleteBeta(x: nu / (nu + t * t), a: nu / 2, b: 0.5)
        return t >= 0 ? 1 - tail : tail
    }

    /// The p-quantile: the t with P(T ≤ t) = p, 0 < p < 1. Bisection on the monotone `cdf`
    /// to full double precision (a few hundred cdf evaluations; QG intervals need a handful).
    public static func quantile(_ p: Double, degreesOfFreedom nu: Double) -> Double {
        precondition(p > 0 && p < 1, "quantile probability must lie in (0, 1)")
        if p == 0.5 { return 0 }
        if p < 0.5 { return -quantile(1 - p, degreesOfFreedom: nu) }
        var low = 0.0, high = 1.0
        while cdf(high, degreesOfFreedom: nu) < p { low = high; high *= 2 }
        for _ in 0..<200 {
            let mid = 0.5 * (low + high)
            if mid == low || mid == high { break }
            if cdf(mid, degreesOfFreedom: nu) < p { low = mid } else { high = mid }
        }
        return 0.5 * (low + high)
    }

    /// I_x(a, b) = B(x; a, b) / B(a, b), by the continued fraction for the incomplete beta
    /// function (modified Lentz evaluation), using the symmetry I_x(a, b) = 1 − I_{1−x}(b, a)
    /// where the fraction converges slowly (x > (a + 1) / (a + b + 2)).
    static func regularizedIncompleteBeta(x: Double, a: Double, b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        if x > (a + 1) / (a + b + 2) { return 1 - regularizedIncompleteBeta(x: 1 - x, a: b, b: a) }
        // front = x^a (1 − x)^b / (a · B(a, b))
        let logFront = a * log(x) + b * log1p(-x) + lgamma(a + b) - lgamma(a) - lgamma(b) - log(a)
        let tiny = 1e-300
        var c = 1.0
        var d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var fraction = d
        for m in 1...10_000 {
            let m = Double(m)
            // Even step: d_{2m} = m (b − m) x / ((a + 2m − 1)(a + 2m)).
            let even = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
            d = 1 + even * d; if abs(d) < tiny { d = tiny }
            c = 1 + even / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            fraction *= d * c
            // Odd step: d_{2m+1} = −(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1)).
            let odd = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
            d = 1 + odd * d; if abs(d) < tiny { d = tiny }
            c = 1 + odd / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            let step = d * c
            fraction *= step
            if abs(step - 1) < 1e-15 { break }
        }
        return exp(logFront) * fraction
    }
}

/// The mean of a quantity over seeds with its Student-t confidence interval: what every QG
/// aggregate reports (`export qg`, the report, the boundary search's decisions).
/// With one seed there is no spread to measure, so the interval bounds are nil, never ± 0.
public struct SeedInterval: Equatable, Sendable {
    /// Seeds that gave a value.
    public let count: Int
    public let mean: Double
    /// Sample standard deviation of one seed's value (n − 1 in the denominator), or the pooled
    /// one when the interval was built from a pooled variance; nil below 2 values.
    public let sd: Double?
    /// Degrees of freedom of `sd`: n − 1, or the pooled degrees of freedom.
    public let degreesOfFreedom: Int

    public init?(_ values: [Double]) {
        guard !values.isEmpty else { return nil }
        count = values.count
        mean = values.reduce(0, +) / Double(values.count)
        if values.count >= 2 {
            let m = mean
            let sumOfSquares = values.reduce(0) { $0 + ($1 - m) * ($1 - m) }
            sd = (sumOfSquares / Double(values.count - 1)).squareRoot()
        } else {
            sd = nil
        }
        degreesOfFreedom = values.count - 1
    }

    /// A mean of `count` values whose spread is known from elsewhere (a pooled sd with its
    /// own degrees of freedom).
    public init(count: Int, mean: Double, sd: Double?, degreesOfFreedom: Int) {
        self.count = count
        self.mean = mean
        self.sd = sd
        self.degreesOfFreedom = degreesOfFreedom
    }

    /// Standard error of the mean, sd / √n.
    public var standardError: Double? {
        guard let sd, degreesOfFreedom >= 1 else { return nil }
        return sd / Double(count).squareRoot()
    }

    /// Two-sided interval: mean ± t_{(1+c)/2, ν} · sd/√n. Nil without a spread (one value).
    public func twoSided(confidence: Double = 0.95) -> (low: Double, high: Double)? {
        guard let se = standardError else { return nil }
        let half = StudentT.quantile(0.5 + confidence / 2, degreesOfFreedom: Double(degreesOfFreedom)) * se
        return (mean - half, mean + half)
    }

    /// One-sided lower bound: mean − t_{c, ν} · sd/√n (the true mean lies above it with
    /// probability c). Nil without a spread.
    public func lowerBound(confidence: Double) -> Double? {
        guard let se = standardError else { return nil }
        return mean - StudentT.quantile(confidence, degreesOfFreedom: Double(degreesOfFreedom)) * se
    }

    /// One-sided upper bound: mean + t_{c, ν} · sd/√n. Nil without a spread.
    public func upperBound(confidence: Double) -> Double? {
        guard let se = standardError else { return nil }
        return mean + StudentT.quantile(confidence, degreesOfFreedom: Double(degreesOfFreedom)) * se
    }

    /// Two intervals separate when neither contains any point of the other: the only case
    /// in which lipsweep calls a difference of means an effect.
    public static func separate(_ a: SeedInterval, _ b: SeedInterval, confidence: Double = 0.95) -> Bool {
        guard let x = a.twoSided(confidence: confidence), let y = b.twoSided(confidence: confidence) else { return false }
        return x.high < y.low || y.high < x.low
    }
}
