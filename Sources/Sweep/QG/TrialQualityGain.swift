/// A trial's quality gain and its learning-rate bound (SPEC §7), computed by the scheduler
/// from the stored epochs. Fields are nil when they cannot be computed; `reason` says why.
public struct TrialQualityGain: Equatable, Sendable {
    public var qg: Double?
    public var qgSlope: Double?
    public var l30: Double?
    public var twoOverL30: Double?
    public var lrWithinBound: Bool?
    public var twoOverM: Double?
    public var reason: String?

    public init(qg: Double? = nil, qgSlope: Double? = nil, l30: Double? = nil, twoOverL30: Double? = nil,
                lrWithinBound: Bool? = nil, twoOverM: Double? = nil, reason: String? = nil) {
        self.qg = qg; self.qgSlope = qgSlope; self.l30 = l30; self.twoOverL30 = twoOverL30
        self.lrWithinBound = lrWithinBound; self.twoOverM = twoOverM; self.reason = reason
    }

    /// - QG = (1/N_e)·Σ_{i=2..N_e} (PRD_i − PRD_{i−1})   (paper eq. 11; PRD = the `metric` column)
    /// - qg_slope = least-squares slope of PRD_i against i over i = 1..N_e
    /// - L_30 = lipschitz_bound at epoch N_e; 2/L_30; lr_within_bound = γ ≤ 2/L_30
    /// - two_over_m = 2/m for hinge trials (the bound the margin promises), else nil.
    ///
    /// Stand-in until the Metrics target's QG functions land in main; then the body becomes
    /// `Metrics.QualityGain.compute(physicalPRD:epochs:)` and
    /// `LipschitzBoundCheck.compute(bounds:learningRate:hingeMargin:epochs:)` over the stored
    /// epochs 1…N_e (same formulas; this type and the store do not change).
    public static func compute(epochs: [EpochRecord], window: Int, metric: String, lr: Double, margin: Double?) -> TrialQualityGain {
        var result = TrialQualityGain(twoOverM: margin.map { 2 / $0 })
        let byEpoch = Dictionary(epochs.map { ($0.epoch, $0) }, uniquingKeysWith: { _, last in last })
        let values: [Double?] = (1...max(window, 1)).map { i in
            byEpoch[i].flatMap { metric == "raw_prd" ? $0.rawPRD : $0.physPRD }
        }
        guard window >= 2, values.allSatisfy({ $0?.isFinite == true }) else {
            let have = values.filter { $0?.isFinite == true }.count
            result.reason = "only \(have) of the \(window) epochs of the QG window have a finite \(metric)"
            return result
        }
        let prd = values.map { $0! }
        var sum = 0.0
        for i in 1..<window { sum += prd[i] - prd[i - 1] }
        result.qg = sum / Double(window)
        let meanX = Double(window + 1) / 2, meanY = prd.reduce(0, +) / Double(window)
        var sxy = 0.0, sxx = 0.0
        for (i, y) in prd.enumerated() {
            let dx = Double(i + 1) - meanX
            sxy += dx * (y - meanY); sxx += dx * dx
        }
        result.qgSlope = sxy / sxx
        if let bound = byEpoch[window]?.lipschitzBound, bound > 0, bound.isFinite {
            result.l30 = bound
            result.twoOverL30 = 2 / bound
            result.lrWithinBound = lr <= 2 / bound
        }
        return result
    }
}
