import Foundation

/// Quality gain of docs/science.md §7 (soft-margin paper eq. 11) over the first N_e epochs of
/// a per-epoch series, Physical PRD by default (element i−1 = the value after epoch i):
///     QG = (1/N_e)·Σ_{i=2..N_e} (PRD_i − PRD_{i−1})   (= (PRD_Ne − PRD_1)/N_e, telescoped)
/// and `slope`, the least-squares slope of PRD_i against i = 1..N_e, which uses every epoch
/// and so is far less noisy. Both are nil, with a `reason`, when the series is too short or
/// holds a non-finite value among the first N_e.
public struct QualityGain: Codable, Sendable, Equatable {
    /// N_e.
    public var epochs: Int
    /// QG of eq. 11; nil when it cannot be computed.
    public var value: Double?
    /// `qg_slope`: PRD units per epoch.
    public var slope: Double?
    /// Why there is no QG (nil when there is one).
    public var reason: String?

    /// QG and its slope on `metric`'s series (only the first `epochs` are used). For a
    /// distance (lower is better) both are negated, so that a positive QG always means the
    /// trial improved: QG = −(1/N_e)·Σ(d_i − d_{i−1}).
    public static func compute(_ series: [Double], epochs: Int = 30, metric: QualityMetric) -> QualityGain {
        var gain = compute(physicalPRD: series, epochs: epochs)
        if metric.isDistance {
            // 0 − x rather than −x: a flat series gains 0, not −0 (which JSON prints as -0.0).
            gain.value = gain.value.map { 0 - $0 }
            gain.slope = gain.slope.map { 0 - $0 }
        }
        gain.reason = gain.reason?.replacingOccurrences(of: "Physical PRD", with: metric.rawValue)
        return gain
    }

    /// QG and its slope from the per-epoch Physical PRD (only the first `epochs` are used).
    public static func compute(physicalPRD series: [Double], epochs: Int = 30) -> QualityGain {
        func none(_ why: String) -> QualityGain { QualityGain(epochs: epochs, value: nil, slope: nil, reason: why) }
        guard epochs >= 2 else { return none("qg_epochs is \(epochs); a gain needs at least 2 epochs") }
        guard series.count >= epochs else {
            return none("the trial has \(series.count) evaluated epoch\(series.count == 1 ? "" : "s"), fewer than qg_epochs = \(epochs)")
        }
        let prd = Array(series.prefix(epochs))
        if let bad = prd.firstIndex(where: { !$0.isFinite }) {
            return none("Physical PRD of epoch \(bad + 1) is \(prd[bad])")
        }
        var sum = 0.0
        for i in 1..<epochs { sum += prd[i] - prd[i - 1] }
        // Least squares on x = 1..N_e: slope = Σ(x − x̄)(y − ȳ) / Σ(x − x̄)².
        let meanX = Double(epochs + 1) / 2, meanY = prd.reduce(0, +) / Double(epochs)
        var sxy = 0.0, sxx = 0.0
        for (i, y) in prd.enumerated() {
            let dx = Double(i + 1) - meanX
            sxy += dx * (y - meanY)
            sxx += dx * dx
        }
        return QualityGain(epochs: epochs, value: sum / Double(epochs), slope: sxy / sxx, reason: nil)
    }
}
