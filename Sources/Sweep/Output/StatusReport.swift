import Foundation

/// The text of `lipsweep status` for one sweep: counts by state, each running trial's last
/// epoch and PRD, each failed trial's error.
public func sweepStatus(store: any TrialStoreReader, sweep: SweepRecord) throws -> String {
    let trials = try store.trials(sweepID: sweep.id)
    var counts: [TrialState: Int] = [:]
    for t in trials { counts[t.state, default: 0] += 1 }
    var out = "sweep \"\(sweep.name)\" (created \(sweep.createdAt)): \(trials.count) trials — "
    out += TrialState.allCases.map { "\(counts[$0] ?? 0) \($0.rawValue)" }.joined(separator: ", ") + "\n"
    for t in trials where t.state == .running {
        let last = try store.epochs(trialID: t.id).last
        let prd = last.flatMap { $0.metric(t.config.qg.metric) }
        out += "  running #\(t.number) \(trialLabel(t)): epoch \(last?.epoch ?? 0)/\(t.config.training.epochs), PRD \(prd.map(formatNumber) ?? "-")\(t.jobID.map { ", SLURM task \($0)" } ?? "")\n"
    }
    for t in trials where t.state == .failed || (t.state == .pending && t.error != nil) {
        out += "  \(t.state.rawValue) #\(t.number) \(trialLabel(t)) after \(t.attempts) attempt(s): \(t.error ?? "")\n"
    }
    return out
}
