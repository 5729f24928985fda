import Foundation

/// A precision–recall-for-distributions curve (Sajjadi et al. 2018, "Assessing Generative
/// Models via Precision and Recall"), docs/science.md §6.
///
/// Orientation. Sajjadi et al. define PRD(Q, P) of a learned distribution Q against a
/// reference P by α(λ) = Σ_ω min(λ P(ω), Q(ω)) (precision) and β(λ) = Σ_ω min(P(ω), Q(ω)/λ)
/// = α(λ)/λ (recall); the soft-margin paper uses it "given a reference distribution P and a
/// learned distribution Q", i.e. P = REAL events, Q = GENERATED events. Their reference code
/// (`compute_prd(eval_dist, ref_dist)`) computes precision = Σ_k min(s·ref_k, eval_k),
/// recall = precision / s. So here `reference` is the real histogram and `evaluated` the
/// generated one. Precision then measures how much of the generated mass lies where real
/// mass is; recall how much real mass the generated sample covers.
public struct PRDCurve: Codable, Sendable, Equatable {
    /// Precision at each angle, non-decreasing along the curve.
    public var precision: [Double]
    /// Recall at each angle, non-increasing along the curve.
    public var recall: [Double]

    /// 1,001 angles, ε = 1e-10 (docs/science.md §6).
    public static let angleCount = 1001
    public static let epsilon = 1e-10

    /// λ_i = linspace(ε, π/2 − ε, 1001) as NumPy computes it: ε + i·step with
    /// step = (π/2 − 2ε)/1000, and the last angle set to π/2 − ε exactly.
    public static let angles: [Double] = {
        let start = epsilon, stop = Double.pi / 2 - epsilon
        let step = (stop - start) / Double(angleCount - 1)
        var a = (0..<angleCount).map { start + Double($0) * step }
        a[angleCount - 1] = stop
        return a
    }()

    /// s_i = tan λ_i: from ≈ 1e-10 to ≈ 1e10.
    public static let slopes: [Double] = angles.map { tan($0) }

    public init(precision: [Double], recall: [Double]) {
        precondition(precision.count == recall.count)
        self.precision = precision
        self.recall = recall
    }

    /// The curve of an evaluated (generated) histogram against a reference (real) one.
    /// Both are normalised here (weights or counts are fine; each must have a positive sum,
    /// the same number of bins and no negative entry):
    ///     precision_i = Σ_k min(s_i·ref_k, eval_k),  recall_i = precision_i / s_i,
    /// both clipped to [0, 1] against rounding just above 1, as the reference code does.
    public init(reference: [Double], evaluated: [Double]) {
        precondition(reference.count == evaluated.count, "PRD: histograms of different lengths")
        let refTotal = reference.reduce(0, +), evalTotal = evaluated.reduce(0, +)
        precondition(refTotal > 0 && evalTotal > 0 && !reference.contains { $0 < 0 } && !evaluated.contains { $0 < 0 },
                     "PRD: histograms must be non-negative with a positive sum")
        let ref = reference.map { $0 / refTotal }, eval = evaluated.map { $0 / evalTotal }
        var precision = [Double](repeating: 0, count: Self.angleCount)
        var recall = precision
        for (i, s) in Self.slopes.enumerated() {
            var p = 0.0
            for k in ref.indices { p += min(s * ref[k], eval[k]) }
            precision[i] = min(max(p, 0), 1)
            recall[i] = min(max(p / s, 0), 1)
        }
        self.init(precision: precision, recall: recall)
    }

    /// PRD-AUC: trapezoidal area of recall as a function of precision over the curve points,
    /// Σ_i (P_{i+1} − P_i)·(R_i + R_{i+1})/2 in angle order (precision non-decreasing, so
    /// every term is ≥ 0 and the area lies in [0, 1]).
    public var area: Double {
        var total = 0.0
        for i in 0..<(precision.count - 1) {
            total += (precision[i + 1] - precision[i]) * (recall[i] + recall[i + 1]) / 2
        }
        return total
    }

    /// The pointwise mean of curves on the same angles (docs/science.md §6: average over `prd_runs`).
    public static func average(_ curves: [PRDCurve]) -> PRDCurve {
        precondition(!curves.isEmpty)
        let n = Double(curves.count)
        var precision = [Double](repeating: 0, count: curves[0].precision.count)
        var recall = precision
        for curve in curves {
            for i in precision.indices {
                precision[i] += curve.precision[i] / n
                recall[i] += curve.recall[i] / n
            }
        }
        return PRDCurve(precision: precision, recall: recall)
    }
}
