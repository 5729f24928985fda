import Foundation

/// The text of `lipsweep status` for one sweep: counts by state, each running trial's last
/// epoch and PRD, each failed trial's error; with pruning what the rungs decided; each grid
/// point's mean QG with its 95 % interval and the differences the intervals support (QGStatus);
/// and where the search stands (a boundary search: each combination's current bracket).
public func sweepStatus(store: any TrialStoreReader, sweep: SweepRecord) throws -> String {
    let trials = try store.trials(sweepID: sweep.id)
    var counts: [TrialState: Int] = [:]
    for t in trials { counts[t.state, default: 0] += 1 }
    let cluster = sweep.executor?.kind.displayName ?? "cluster"
    let pruning = try sweep.pruningSettings()
    let decisions = pruning == nil ? [] : try store.rungDecisions(sweepID: sweep.id)
    let rungOfWaiting = try pruning.map { try waitingAtRungs(store: store, sweep: sweep, trials: trials, rungs: $0.rungs,
                                                             decisions: decisions) } ?? [:]
    let waitingCount = trials.filter { $0.state == .pending && rungOfWaiting[$0.id] != nil }.count
    var out = "sweep \"\(sweep.name)\" (created \(sweep.createdAt)): \(trials.count) trials — "
    out += TrialState.allCases.map { state in
        let waits = state == .pending && waitingCount > 0 ? " (\(waitingCount) waiting at a rung)" : ""
        return "\(counts[state] ?? 0) \(state.rawValue)\(waits)"
    }.joined(separator: ", ") + "\n"
    for t in trials where t.state == .running {
        let last = try store.epochs(trialID: t.id).last
        let prd = last.flatMap { $0.metric(t.config.qg.metric) }
        out += "  running #\(t.number) \(trialLabel(t)): epoch \(last?.epoch ?? 0)/\(t.config.training.epochs), \(t.config.qg.metric.progressName) \(prd.map(formatNumber) ?? "-")\(t.jobID.map { ", \(cluster) task \($0)" } ?? "")\n"
    }
    for t in trials where t.state == .failed || (t.state == .pending && t.error != nil) {
        out += "  \(t.state.rawValue) #\(t.number) \(trialLabel(t)) after \(t.attempts) attempt(s): \(t.error ?? "")\n"
    }
    if let pruning {
        // A rung at a trial's last epoch decides nothing.
        let rungs = pruning.rungs.filter { rung in trials.first.map { rung < $0.config.training.epochs } ?? true }
        let perRung = rungs.map { rung in
            let here = decisions.filter { $0.rung == rung }, waits = rungOfWaiting.values.filter { $0 == rung }.count
            return "epoch \(rung): \(here.count + waits) reached, \(here.filter { $0.verdict == .prune }.count) pruned"
                + (waits > 0 ? ", \(waits) waiting" : "")
        }
        out += "successive halving on \(pruning.metric), the best \(formatNumber(pruning.keep * 100)) % go on, none decided at a rung before \(pruning.minTrials) trial(s) reached it: \(perRung.joined(separator: "; "))\n"
    }
    if let text = qgStatus(trials) { out += text }
    if let text = try sweep.search().statusText(trials) { out += text }
    return out
}

/// The trials that wait at a rung (docs/science.md, "Pruning without arrival bias"), each with
/// its rung: not finished, with a stored epoch at or past the rung and no decision there yet.
/// They are pending (their worker was stopped) until `min_trials` trials have reached the rung,
/// or still running while their worker stops (or after a scheduler died before it could).
func waitingAtRungs(store: any TrialStoreReader, sweep: SweepRecord, trials: [TrialRecord], rungs: [Int],
                    decisions: [RungDecision]) throws -> [Int64: Int] {
    let open = trials.filter { $0.state == .pending || $0.state == .running }
    guard !open.isEmpty else { return [:] }
    let epochs = try store.epochs(sweepID: sweep.id)
    let decided = Set(decisions.map { [$0.trialID, Int64($0.rung)] }), ascending = rungs.sorted()
    var waiting: [Int64: Int] = [:]
    for t in open {
        guard let last = epochs[t.id]?.map(\.epoch).max() else { continue }
        waiting[t.id] = ascending.first { $0 <= last && $0 < t.config.training.epochs && !decided.contains([t.id, Int64($0)]) }
    }
    return waiting
}
