import Foundation
import TrialProtocol

/// What a sweep's Optuna study optimises: the trial's value, its direction, and the
/// per-epoch value the dashboard draws as the trial's learning curve.
public struct OptunaObjective: Sendable {
    public let name: String
    public let direction: OptunaDirection
    /// The learning-curve point of one epoch (nil: none that epoch).
    public let epochValue: @Sendable (EpochRecord, TrialConfig) -> Double?
    /// The trial's value from its record and stored epochs (nil: it has none).
    public let trialValue: @Sendable (TrialRecord, [EpochRecord]) -> Double?

    /// The objectives `--objective` accepts: QG and the best PRD (maximised), and the physics
    /// distances of docs/science.md §6.1 (minimised, the trial's value its lowest epoch).
    public static let all: [OptunaObjective] = [.qg, .bestPRD]
        + [QualityMetric.fpd, .kpd, .kid, .w1Mean].map { metric in distance(metric.rawValue) { $0.metric(metric) } }

    public static func named(_ name: String) -> OptunaObjective? { all.first { $0.name == name } }

    /// The quality gain of docs/science.md §7 (maximised) by the sweep's `qg.estimator`
    /// (`TrialRecord.decisionQG`: `qg` or `qg_slope`); the curve is the series it is computed
    /// from (the trial's `qg.metric`: Physical PRD unless another was chosen).
    public static let qg = OptunaObjective(
        name: "qg", direction: .maximize,
        epochValue: { epoch, config in epoch.metric(config.qg.metric) },
        trialValue: { trial, _ in trial.decisionQG })

    /// The best quality score over the epochs, max_e min(RAW PRD_e, Physical PRD_e)
    /// (docs/science.md §6; the `best_prd` query column); the curve is min(RAW, Physical) per epoch.
    public static let bestPRD = OptunaObjective(
        name: "best_prd", direction: .maximize,
        epochValue: { epoch, _ in minPRD(epoch) },
        trialValue: { _, epochs in epochs.compactMap(minPRD).max() })

    /// A distance between generated and real showers stored per epoch (docs/science.md §6.1):
    /// minimised; the trial's value is its lowest over the epochs, the curve the distance itself.
    public static func distance(_ name: String, _ column: @escaping @Sendable (EpochRecord) -> Double?) -> OptunaObjective {
        OptunaObjective(name: name, direction: .minimize, epochValue: { epoch, _ in column(epoch) },
                        trialValue: { _, epochs in epochs.compactMap(column).min() })
    }

    private static func minPRD(_ e: EpochRecord) -> Double? {
        guard let raw = e.rawPRD, let phys = e.physPRD else { return nil }
        return min(raw, phys)
    }
}
