import Foundation

/// What both executors do when a trial's worker is gone: store the outcome its end line
/// reports (with the QG figures computed from the stored epochs), or decide between a retry
/// from the checkpoint and failure.
enum TrialEnding {
    /// Finishes a trial whose worker printed its end line; returns the log message.
    static func finish(_ trial: TrialRecord, end: WorkerLine.EndLine, store: any TrialStore) throws -> String {
        let qg = qualityGain(trial, epochs: try store.epochs(trialID: trial.id))
        let state: TrialState = end.state == .completed ? .completed : .diverged
        var error = end.error
        if state == .diverged, let step = end.divergedAtStep, error == nil { error = "diverged at step \(step)" }
        if qg.qg == nil, let reason = qg.reason { error = [error, "no QG: \(reason)"].compactMap { $0 }.joined(separator: "; ") }
        try store.finish(trialID: trial.id, TrialOutcome(state: state, error: error, qg: qg))
        return "\(name(trial)): \(state.rawValue)" + (qg.qg.map { ", QG \(formatNumber($0))" } ?? "") + (error.map { " (\($0))" } ?? "")
    }

    /// The outcome of a trial the pruner stops: `pruned`, with the QG figures of its stored
    /// epochs (the first rung is at least qg.epochs, so it has its QG window).
    static func pruned(_ trial: TrialRecord, epochs: [EpochRecord]) -> TrialOutcome {
        let qg = qualityGain(trial, epochs: epochs)
        return TrialOutcome(state: .pruned, error: qg.qg == nil ? qg.reason.map { "no QG: \($0)" } : nil, qg: qg)
    }

    /// QG and the 2/L figures of a trial from its stored epochs (docs/science.md §7).
    static func qualityGain(_ trial: TrialRecord, epochs: [EpochRecord]) -> TrialQualityGain {
        TrialQualityGain.compute(epochs: epochs, window: trial.config.qg.epochs, metric: trial.config.qg.metric,
                                 lr: trial.lr, margin: trial.margin)
    }

    /// The worker ended without an end line. A config it rejected (exit code 2) fails at
    /// once; otherwise the trial goes back to pending for a retry while attempts ≤ retries
    /// (returning the backoff delay executor.backoff_seconds · 2^(attempts−1)), else fails.
    static func attemptFailed(_ trial: TrialRecord, reason: String, configRejected: Bool, logHint: String,
                              executor: ExecutorConfig, store: any TrialStore) throws -> (message: String, retryDelay: Double?) {
        let attempts = trial.attempts
        if configRejected {
            try store.finish(trialID: trial.id, TrialOutcome(state: .failed, error: "worker rejected its config: \(reason)"))
            return ("\(name(trial)): failed, the worker rejected its config (see \(logHint))", nil)
        }
        if attempts <= executor.retries {
            let delay = executor.backoffSeconds * pow(2, Double(max(attempts, 1) - 1))
            try store.release(trialID: trial.id, error: reason, countsAsAttempt: true)
            return ("\(name(trial)): \(reason); retry \(attempts)/\(executor.retries) from its checkpoint in \(formatNumber(delay)) s", delay)
        }
        try store.finish(trialID: trial.id, TrialOutcome(state: .failed, error: reason))
        return ("\(name(trial)): failed after \(attempts) attempt(s): \(reason)", nil)
    }

    static func name(_ trial: TrialRecord) -> String { "#\(trial.number) \(trialLabel(trial))" }
}

/// The last lines a worker wrote on stderr (its log file), for the trial's error column.
func logTail(_ path: String, lines: Int = 3) -> String {
    let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    return text.split(separator: "\n").suffix(lines).joined(separator: " | ")
}
