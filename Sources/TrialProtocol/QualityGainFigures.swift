/// A trial's quality gain and its learning-rate bound (docs/science.md §7): what the worker's
/// end line reports (EndLine) and what the scheduler computes from the stored epochs and
/// stores (Sweep's `TrialQualityGain.compute`). Fields are nil when they cannot be computed;
/// `reason` says why (the end line says it in its `error`).
public struct QualityGainFigures: Equatable, Sendable {
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
}
