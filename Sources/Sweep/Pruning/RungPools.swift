import Foundation
import TrialProtocol

/// Which trials have reached each rung, with their values there, and which were decided: when a
/// trial is decided (`pruning.min_trials`, docs/science.md "Pruning without arrival bias") and
/// against which pool. The ledger keeps one, fed from the store on load and by the epochs it
/// stores; its control flow (a trial arrives → it and those waiting are decided, or it waits;
/// at the end those waiting are decided with the pool there is) is all here, so it is tested
/// on its own (SuccessiveHalvingTests).
public struct RungPools {
    public let pruner: any Pruner
    /// Per rung, every trial that has reached it with its value there (nil: none, ranks last).
    public private(set) var reached: [Int: [Int64: Double?]] = [:]
    private struct Place: Hashable { var trial: Int64; var rung: Int }
    private var decided: Set<Place> = []

    public init(pruner: any Pruner, decisions: [RungDecision] = []) {
        self.pruner = pruner
        for d in decisions { record(d) }
    }

    /// Notes that `trial` reached `rung` (a stored epoch at or past it). Returns the trials to
    /// decide now, in arrival order: none while fewer than `min_trials` trials have reached the
    /// rung (it waits); else itself and every trial still waiting there. A trial decided there
    /// already returns none.
    public mutating func arrive(_ trial: Int64, rung: Int, value: Double?) -> [Int64] {
        // The value from the trial's epochs, by the current metric, whether or not it was decided.
        reached[rung, default: [:]][trial] = value
        guard !isDecided(trial, rung: rung) else { return [] }
        return reached[rung]!.count >= pruner.minTrials ? waiting(at: rung) : []
    }

    /// Trials that reached `rung` and were not decided there, by id.
    public func waiting(at rung: Int) -> [Int64] {
        (reached[rung] ?? [:]).keys.filter { !isDecided($0, rung: rung) }.sorted()
    }

    /// Whether `trial` waits at some rung (reached it, not decided there).
    public func isWaiting(_ trial: Int64) -> Bool {
        reached.contains { rung, pool in pool[trial] != nil && !isDecided(trial, rung: rung) }
    }

    public func isDecided(_ trial: Int64, rung: Int) -> Bool { decided.contains(Place(trial: trial, rung: rung)) }

    /// The waiting trials at `rung` to decide now: all of them once `min_trials` trials have
    /// reached it, or once no other trial may still arrive there (`othersMayArrive` false: the
    /// end of the sweep, or fewer trials in it than `min_trials`); else none.
    public func due(at rung: Int, othersMayArrive: Bool) -> [Int64] {
        let pool = reached[rung] ?? [:]
        return pool.count >= pruner.minTrials || !othersMayArrive ? waiting(at: rung) : []
    }

    /// The decision for `trial` at `rung` against every other trial that has reached it (to be
    /// stored, then `record`ed).
    public func decision(for trial: TrialRecord, at rung: Int) -> RungDecision {
        let pool = reached[rung] ?? [:]
        return pruner.decide(trial: trial, value: pool[trial.id] ?? nil, rung: rung,
                             others: pool.filter { $0.key != trial.id }.map(\.value))
    }

    public mutating func record(_ d: RungDecision) {
        decided.insert(Place(trial: d.trialID, rung: d.rung))
        // A decided trial has reached the rung; until its epochs are read (`arrive`) it counts
        // with the value it was ranked by, when that was by the same metric.
        if reached[d.rung]?[d.trialID] == nil { reached[d.rung, default: [:]][d.trialID] = d.metric == pruner.metricName ? d.value : nil }
    }
}
