import Foundation
import TrialProtocol

/// A lipsweep sweep in Optuna's terms: one study named after the sweep, and each trial's
/// description from its stored record and epochs (docs/optuna.md, "What lipsweep writes").
public struct OptunaSweepMapping: Sendable {
    public let objective: OptunaObjective
    public let study: OptunaStudyDescription
    let space: OptunaSearchSpace

    /// `trials`: every trial of the sweep (the search space spans their values).
    public init(sweepName: String, objective: OptunaObjective, trials: [TrialRecord]) {
        self.objective = objective
        study = OptunaStudyDescription(name: sweepName, direction: objective.direction, metricName: objective.name,
                                       userAttrs: ["lipsweep_objective": .string(objective.name)])
        space = OptunaSearchSpace(configs: trials.map(\.config))
    }

    /// States: completed → COMPLETE with the objective's value (FAIL when it has none),
    /// pruned (successive halving) → PRUNED, diverged, failed and cancelled → FAIL, running →
    /// RUNNING, pending → WAITING. The lipsweep state and its reason stay readable as user
    /// attributes.
    public func describe(_ trial: TrialRecord, epochs: [EpochRecord]) -> OptunaTrialDescription {
        let config = trial.config
        var state: OptunaTrialState
        var reason = trial.error
        var value: Double?
        switch trial.state {
        case .completed:
            value = objective.trialValue(trial, epochs).flatMap { $0.isFinite ? $0 : nil }
            state = value == nil ? .fail : .complete
            if value == nil { reason = reason ?? "no \(objective.name) value" }
        case .pruned: state = .pruned
        case .diverged, .failed, .cancelled: state = .fail
        case .running: state = .running
        case .pending: state = .waiting
        }
        var curve: [Int: Double] = [:]
        for e in epochs { if let v = objective.epochValue(e, config) { curve[e.epoch] = v } }
        var attrs: [String: JSONValue] = ["attempts": .int(trial.attempts), "lipsweep_state": .string(trial.state.rawValue),
                                          "config_hash": .string(trial.configHash)]
        func finite(_ x: Double?) -> JSONValue { JSONValue(x.flatMap { $0.isFinite ? $0 : nil }) }
        let optional: [(String, JSONValue)] = [
            ("l_30", finite(trial.l30)), ("two_over_l_30", finite(trial.twoOverL30)), ("two_over_m", finite(trial.twoOverM)),
            ("lr_within_bound", JSONValue(trial.lrWithinBound)),
            // Only an ended trial's reason: Optuna cannot take an attribute back, and a pending
            // trial's error (the last attempt's) is gone once it completes.
            ("state_reason", state.isFinished ? JSONValue(reason) : .null),
        ]
        for (key, v) in optional where v != .null { attrs[key] = v }
        return OptunaTrialDescription(key: trial.number, params: space.params(config), state: state, value: value,
                                      intermediateValues: curve, userAttrs: attrs,
                                      started: trial.startedAt.flatMap(Self.storeTime), completed: trial.finishedAt.flatMap(Self.storeTime))
    }

    /// The store's timestamps (ISO 8601, UTC).
    static func storeTime(_ text: String) -> Date? { ISO8601DateFormatter().date(from: text) }
}
