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
    var out = "sweep \"\(sweep.name)\" (created \(sweep.createdAt)): \(trials.count) trials — "
    out += TrialState.allCases.map { "\(counts[$0] ?? 0) \($0.rawValue)" }.joined(separator: ", ") + "\n"
    for t in trials where t.state == .running {
        let last = try store.epochs(trialID: t.id).last
        let prd = last.flatMap { $0.metric(t.config.qg.metric) }
        out += "  running #\(t.number) \(trialLabel(t)): epoch \(last?.epoch ?? 0)/\(t.config.training.epochs), \(t.config.qg.metric.progressName) \(prd.map(formatNumber) ?? "-")\(t.jobID.map { ", \(cluster) task \($0)" } ?? "")\n"
    }
    for t in trials where t.state == .failed || (t.state == .pending && t.error != nil) {
        out += "  \(t.state.rawValue) #\(t.number) \(trialLabel(t)) after \(t.attempts) attempt(s): \(t.error ?? "")\n"
    }
    if let pruning = try sweep.pruningSettings() {
        let decisions = try store.rungDecisions(sweepID: sweep.id)
        // A rung at a trial's last epoch decides nothing.
        let rungs = pruning.rungs.filter { rung in trials.first.map { rung < $0.config.training.epochs } ?? true }
        let perRung = rungs.map { rung in
            let here = decisions.filter { $0.rung == rung }
            return "epoch \(rung): \(here.count) reached, \(here.filter { $0.verdict == .prune }.count) pruned"
        }
        out += "successive halving on \(pruning.metric), the best \(formatNumber(pruning.keep * 100)) % go on, none decided at a rung before \(pruning.minTrials) trial(s) reached it: \(perRung.joined(separator: "; "))\n"
    }
    if let text = qgStatus(trials) { out += text }
    if let text = try sweep.search().statusText(trials) { out += text }
    return out
}
