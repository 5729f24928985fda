/// Least-squares line y = a + b·x with a ≥ 0 and b ≥ 0, and the standard error of a: the FPD's
/// extrapolation to 1/N → 0 (docs/science.md §6.1). The reference (jetnet's `fpd`) calls
/// `scipy.optimize.curve_fit(linear, x, y, bounds=([0, 0], [inf, inf]))`; this solves the same
/// problem exactly instead of iteratively:
/// - the unconstrained fit b = Σ(x − x̄)(y − ȳ)/Σ(x − x̄)², a = ȳ − b·x̄ when both are ≥ 0;
/// - otherwise the optimum of this convex problem lies on a face of the quadrant: a = 0 with
///   b = max(0, Σxy/Σx²), or b = 0 with a = max(0, ȳ) — whichever leaves the smaller residual.
/// The error is curve_fit's: pcov = (JᵀJ)⁻¹·RSS/(M − 2) with J = [1, x] and the residuals of
/// the (constrained) solution, so σ_a² = RSS/(M − 2) · Σx² / (M·Σ(x − x̄)²).
public struct ConstrainedLineFit: Sendable, Equatable {
    public var intercept: Double
    public var slope: Double
    /// Standard error of the intercept.
    public var interceptError: Double

    /// Needs M ≥ 3 points with at least two distinct x; otherwise (and for non-finite input)
    /// the error is +∞ (there is no estimate of the scatter) and the intercept the plain fit's.
    public init(x: [Double], y: [Double]) {
        precondition(x.count == y.count && !x.isEmpty, "ConstrainedLineFit: x and y must have the same, positive length")
        let m = Double(x.count)
        let meanX = x.reduce(0, +) / m, meanY = y.reduce(0, +) / m
        var sxx = 0.0, sxy = 0.0, sumXX = 0.0, sumXY = 0.0
        for (xi, yi) in zip(x, y) {
            sxx += (xi - meanX) * (xi - meanX)
            sxy += (xi - meanX) * (yi - meanY)
            sumXX += xi * xi
            sumXY += xi * yi
        }
        func rss(_ a: Double, _ b: Double) -> Double {
            zip(x, y).reduce(0) { $0 + ($1.1 - a - b * $1.0) * ($1.1 - a - b * $1.0) }
        }
        var a: Double, b: Double
        if sxx > 0, case let free = sxy / sxx, free >= 0, meanY - free * meanX >= 0 {
            (a, b) = (meanY - free * meanX, free)
        } else {
            let throughOrigin = (0.0, sumXX > 0 ? max(0, sumXY / sumXX) : 0)
            let flat = (max(0, meanY), 0.0)
            (a, b) = rss(throughOrigin.0, throughOrigin.1) < rss(flat.0, flat.1) ? throughOrigin : flat
        }
        intercept = a
        slope = b
        if x.count >= 3, sxx > 0 {
            let variance = rss(a, b) / (m - 2) * sumXX / (m * sxx)
            interceptError = variance.isFinite ? variance.squareRoot() : .infinity
        } else {
            interceptError = .infinity
        }
    }
}
