import TrialProtocol

/// A trial's quality gain and its learning-rate bound (docs/science.md §7), computed by the scheduler
/// from the stored epochs: the figures of TrialProtocol, which the worker's end line reports too.
public typealias TrialQualityGain = QualityGainFigures

extension QualityGainFigures {
    /// QG and the 2/L bookkeeping of docs/science.md §7, by the definitions the trainer uses
    /// too (TrialProtocol's `QualityGain`, `LipschitzBoundCheck`) over the stored epochs 1…N_e:
    /// - QG = (1/N_e)·Σ_{i=2..N_e} (PRD_i − PRD_{i−1})   (paper eq. 11; PRD = the `metric`'s
    ///   series; for a distance, the mean per-epoch decrease)
    /// - qg_slope = least-squares slope of PRD_i against i over i = 1..N_e
    /// - L_30 = lipschitz_bound at epoch N_e; 2/L_30; lr_within_bound = γ ≤ 2/L_30
    /// - two_over_m = 2/m for hinge trials (the bound the margin promises), else nil.
    /// An epoch missing from 1…N_e (or not evaluated) leaves QG nil, with the reason.
    public static func compute(epochs: [EpochRecord], window: Int, metric: QualityMetric, lr: Double, margin: Double?) -> TrialQualityGain {
        let byEpoch = Dictionary(epochs.map { ($0.epoch, $0) }, uniquingKeysWith: { _, last in last })
        let window = max(window, 1)
        // The leading run of consecutive epochs 1, 2, … that carry the metric.
        var series: [Double] = [], bounds: [Double] = []
        for i in 1...window {
            guard let record = byEpoch[i] else { break }
            guard let value = record.metric(metric) else { break }
            series.append(value)
            bounds.append(record.lipschitzBound ?? .nan)
        }
        let gain = QualityGain.compute(series, epochs: window, metric: metric)
        let check = LipschitzBoundCheck.compute(bounds: bounds, learningRate: lr, hingeMargin: margin, epochs: window)
        var reason = gain.reason
        if reason != nil, series.count < window {
            reason = "only \(series.count) of the \(window) epochs of the QG window have a \(metric.rawValue)"
        }
        return TrialQualityGain(qg: gain.value, qgSlope: gain.slope,
                                l30: gain.value == nil ? nil : check.bound,
                                twoOverL30: gain.value == nil ? nil : check.twoOverBound,
                                lrWithinBound: gain.value == nil ? nil : check.lrWithinBound,
                                twoOverM: margin.map { 2 / $0 }, reason: reason)
    }
}

extension TrialRecord {
    /// The QG every decision of a sweep uses (the boundary search's converging test, the Optuna
    /// objective `qg`, `export qg`'s `qg_estimator`): `qg` (paper eq. 11) or `qg_slope`, by the
    /// trial's `qg.estimator` (docs/science.md §7, "Estimator"). Every trial of a sweep has the
    /// same estimator (it is no grid axis).
    public var decisionQG: Double? { config.qg.qgEstimator.pick(qg: qg, slope: qgSlope) }
}
