import DurableFiles
import Foundation
import TrialProtocol

/// The bookkeeping every executor shares, and the only writer of the store while a sweep runs:
/// a cache of the sweep's trials, claiming and recording workers, storing epoch lines as they
/// arrive (each its own transaction), finishing trials with the QG figures computed from their
/// stored epochs, retries with exponential backoff, the trials the search adds, the pruner's
/// decisions at the rungs, and what the progress display shows.
final class TrialLedger: ExecutorHost {
    let store: any TrialStore
    let sweep: SweepRecord
    let executor: ExecutorConfig
    let display: ProgressDisplay
    let search: any SweepSearch
    let pruner: (any Pruner)?

    private(set) var trials: [Int64: TrialRecord] = [:]
    /// The pruner's decisions so far, in the order they were made.
    private var decisions: [RungDecision] = []
    /// Trials the pruner ended whose workers the driver has yet to stop.
    private var prunedRunning: [TrialRecord] = []
    /// The last epoch shown per trial; an epoch at or below it is stored but not shown or
    /// counted again (a resumed worker's replay, a spool file read a second time).
    private var lastEpoch: [Int64: (epoch: Int, prd: Double?)] = [:]
    /// Earliest time a trial that failed an attempt may start again.
    private var notBefore: [Int64: Date] = [:]
    private var epochsThisSession = 0
    let started = Date()
    /// Kept in step with every store write (the live Optuna journal).
    var observers: [any SweepObserver] = []
    private var observerFailed = false

    init(store: any TrialStore, sweep: SweepRecord, executor: ExecutorConfig, display: ProgressDisplay,
         search: any SweepSearch, pruner: (any Pruner)?) {
        self.store = store; self.sweep = sweep; self.executor = executor; self.display = display
        self.search = search; self.pruner = pruner
    }

    func reload() throws {
        trials = [:]
        for t in try store.trials(sweepID: sweep.id) { trials[t.id] = t }
        if pruner != nil { decisions = try store.rungDecisions(sweepID: sweep.id) }
    }

    /// Rereads one trial after a store write and tells the observers when it changed.
    private func refresh(_ id: Int64) throws {
        let before = trials[id]
        trials[id] = try store.trial(id: id)
        if trials[id] != before { notify { try $0.trialChanged(id) } }
    }

    /// Calls every observer; a failure is logged once and never stops the sweep.
    private func notify(_ call: (any SweepObserver) throws -> Void) {
        for observer in observers {
            do { try call(observer) } catch {
                if !observerFailed { display.log("the live Optuna journal could not be updated (\(error)); the next run repairs it") }
                observerFailed = true
            }
        }
    }

    var sweepName: String { sweep.name }
    var allTrials: [TrialRecord] { Array(trials.values) }
    var running: [TrialRecord] { trials.values.filter { $0.state == .running }.sorted { $0.number < $1.number } }
    var hasOpenTrials: Bool { trials.values.contains { $0.state == .pending || $0.state == .running } }

    /// Pending trials whose backoff has passed (all pending ones unless `honourBackoff`), by number.
    func ready(honourBackoff: Bool, now: Date = Date()) -> [TrialRecord] {
        trials.values.filter { $0.state == .pending && (!honourBackoff || (notBefore[$0.id] ?? .distantPast) <= now) }
            .sorted { $0.number < $1.number }
    }

    // MARK: the search

    /// What a search's answer depends on: which trials exist, which have finished, which
    /// failed or were cancelled. The search is asked again only when this changed.
    private struct SearchInputs: Equatable {
        var count: Int
        var finished: Set<Int64>
        var stuck: Set<Int64>
    }
    private var searchedWith: SearchInputs?

    /// Adds the trials the search asks for now (a boundary search's next points, once a
    /// combination's trials have finished); returns how many were added.
    @discardableResult
    func extendSearch() throws -> Int {
        let inputs = SearchInputs(count: trials.count, finished: Set(trials.values.filter(\.state.isFinished).map(\.id)),
                                  stuck: Set(trials.values.filter { $0.state == .failed || $0.state == .cancelled }.map(\.id)))
        guard inputs != searchedWith else { return 0 }
        searchedWith = inputs
        let additions = search.additions(stored: trials.values.sorted { $0.number < $1.number })
        guard !additions.isEmpty else { return 0 }
        var added = 0
        for addition in additions {
            let n = try store.addTrials(sweepID: sweep.id, addition.trials)
            if n > 0 && !addition.note.isEmpty { display.log(addition.note) }
            added += n
        }
        try reload()
        notify { try $0.trialsAdded() }
        return added
    }

    // MARK: starting

    /// Starts `trials` on `executor`: each is claimed (running, attempt counted) before its
    /// worker exists, so a scheduler that dies mid-way never starts a trial twice; a launch
    /// that fails gives the claims back.
    func launch(_ trials: [TrialRecord], on executor: any TrialExecutor) throws {
        guard !trials.isEmpty else { return }
        for trial in trials { try store.claim(trialID: trial.id, workerPID: nil) }
        let handles: [Int64: WorkerHandle]
        do { handles = try executor.launch(trials) } catch {
            for trial in trials { try store.release(trialID: trial.id, error: nil, countsAsAttempt: false) }
            try reload()
            throw error
        }
        for trial in trials {
            switch handles[trial.id] {
            case let .process(pid)?: try store.assignWorker(trialID: trial.id, pid: pid, jobID: nil)
            case let .job(id)?: try store.assignWorker(trialID: trial.id, pid: nil, jobID: id)
            case nil: break
            }
            try refresh(trial.id)
            if case .process? = handles[trial.id] {
                let resumed = trial.startedAt != nil
                display.log("#\(trial.number) \(trialLabel(trial)): started\(resumed ? " (resuming, attempt \(self.trials[trial.id]!.attempts))" : "")")
            }
        }
    }

    // MARK: events

    func handle(_ event: TrialEvent) throws {
        switch event {
        case let .epoch(id, record, replayed):
            guard let trial = trials[id], trial.state == .running else { return }
            try store.recordEpoch(trialID: id, record)
            notify { try $0.epochRecorded(id, record) }
            // A replayed rung counts too: a scheduler that died before deciding decides now.
            if try review(trial, at: record.epoch) == .prune { return }
            let shown = lastEpoch[id]?.epoch ?? 0
            guard !replayed, record.epoch > shown else { return }
            epochsThisSession += 1
            let prd = record.metric(trial.config.qg.metric)
            lastEpoch[id] = (record.epoch, prd)
            if !display.isTerminal {
                display.log("#\(trial.number) epoch \(record.epoch)/\(trial.config.training.epochs) \(trial.config.qg.metric.progressName) \(prd.map(formatNumber) ?? "-")")
            }
        case let .histograms(id, line):
            guard trials[id]?.state == .running else { return }
            try store.recordHistograms(trialID: id, line)
        case let .unrecognised(id, text):
            display.log("#\(trials[id]?.number ?? -1): ignored a worker line that is not the protocol: \(text.prefix(120))")
        case let .ended(id, end):
            try refresh(id)
            guard let trial = trials[id], trial.state == .running else { return }
            display.log(try TrialEnding.finish(trial, end: end, store: store))
            try refresh(id)
        case let .attemptFailed(id, reason, configRejected, log):
            try refresh(id)
            guard let trial = trials[id], trial.state == .running else { return }
            let (message, delay) = try TrialEnding.attemptFailed(trial, reason: reason, configRejected: configRejected,
                                                                 logHint: log, executor: executor, store: store)
            if let delay { notBefore[id] = Date().addingTimeInterval(delay) }
            display.log(message)
            try refresh(id)
        case let .released(id):
            try giveBack(id)
        case let .outOfSpace(id, path):
            // Stored by the driver's stop, once room has been made for the writes.
            if outOfSpace == nil { outOfSpace = OutOfSpace(path: path) }
            if let trial = trials[id] { display.log("\(TrialEnding.name(trial)): \(OutOfSpace(path: path))") }
        }
    }

    /// The first full disk a worker reported; the driver stops the sweep on it.
    private(set) var outOfSpace: OutOfSpace?

    /// A running trial back to pending, its attempt given back (a clean stop, a full disk).
    func giveBack(_ id: Int64) throws {
        try refresh(id)
        guard trials[id]?.state == .running else { return }
        try store.release(trialID: id, error: nil, countsAsAttempt: false)
        try refresh(id)
    }

    // MARK: pruning

    /// Asks the pruner about a running trial that has just stored epoch `epoch` when that is
    /// one of its rungs before the trial's last epoch and no decision was made there yet, and
    /// stores the decision; a trial it prunes ends as `pruned` with its QG figures, and its
    /// worker is left for the driver to stop (`takePrunedRunning`).
    private func review(_ trial: TrialRecord, at epoch: Int) throws -> RungDecision.Verdict? {
        guard let pruner, pruner.rungs.contains(epoch), epoch < trial.config.training.epochs,
              !decisions.contains(where: { $0.trialID == trial.id && $0.rung == epoch }) else { return nil }
        let epochs = try store.epochs(trialID: trial.id)
        let earlier = decisions.filter { $0.rung == epoch && $0.metric == pruner.metricName }
        let decision = pruner.decide(trial: trial, epochs: epochs, rung: epoch, earlier: earlier)
        let value = decision.value.map(formatNumber) ?? "none"
        let rank = "\(decision.metric) \(value) among the \(decision.reached) trial(s) that reached epoch \(epoch), of which the best \(decision.kept) go on"
        if decision.verdict == .prune {
            let outcome = TrialEnding.pruned(trial, epochs: epochs)
            try store.recordRungDecision(decision, pruned: outcome)
            display.log("\(TrialEnding.name(trial)): pruned at epoch \(epoch) (\(rank))" + (outcome.qg?.qg.map { ", QG \(formatNumber($0))" } ?? ""))
            prunedRunning.append(trial)
        } else {
            try store.recordRungDecision(decision, pruned: nil)
            display.log("\(TrialEnding.name(trial)): goes on past epoch \(epoch) (\(rank))")
        }
        decisions = try store.rungDecisions(sweepID: sweep.id)
        try refresh(trial.id)
        return decision.verdict
    }

    /// The trials pruned since the last call, as they were while running (with their worker).
    func takePrunedRunning() -> [TrialRecord] {
        defer { prunedRunning = [] }
        return prunedRunning
    }

    /// Remembers the last stored epoch of a running trial first seen by this process, so that
    /// re-reading its lines neither logs nor counts them again.
    func noteStoredEpochs(of trial: TrialRecord) throws {
        guard lastEpoch[trial.id] == nil, let stored = try store.epochs(trialID: trial.id).last else { return }
        lastEpoch[trial.id] = (stored.epoch, stored.metric(trial.config.qg.metric))
    }

    /// Marks a trial cancelled (its worker is gone or being stopped).
    func cancel(_ id: Int64) throws {
        try store.cancel(trialID: id)
        try refresh(id)
    }

    // MARK: display

    func log(_ message: String) { display.log(message) }

    func showProgress(force: Bool = false) {
        display.update(ProgressSnapshot(trials: Array(trials.values), lastEpoch: lastEpoch, epochsThisSession: epochsThisSession,
                                        since: started), force: force)
    }

    func summary(stopped: Bool, busySeconds: Double) -> SweepSummary {
        var s = SweepSummary(trials: Array(trials.values))
        s.stoppedBySignal = stopped
        s.wallSeconds = Date().timeIntervalSince(started)
        s.slotUtilisation = s.wallSeconds > 0 && busySeconds > 0 ? busySeconds / (s.wallSeconds * Double(executor.workers)) : 0
        s.clusterJobs = running.compactMap(\.jobID).sorted()
        s.searchStatus = search.statusText(trials.values.sorted { $0.number < $1.number })
        return s
    }
}

/// How a `run`, `sync` or `sync --wait` left the sweep.
public struct SweepSummary: Equatable, Sendable {
    public var completed = 0, diverged = 0, pruned = 0, failed = 0, pending = 0
    public var stoppedBySignal = false
    public var wallSeconds = 0.0
    /// Σ worker lifetimes / (wall time × workers): how much of the worker slots the
    /// scheduler kept busy (1 − this is its overhead plus idle slots at the tail).
    public var slotUtilisation = 0.0
    /// SLURM executor: the tasks ("JOB_TASK") still queued or running when the client returned.
    public var clusterJobs: [String] = []
    /// Where the search stands (a boundary search: each combination's bracket), if it says.
    public var searchStatus: String?

    /// The counts of trials per outcome (cancelled ones are in none of them).
    init(trials: [TrialRecord]) {
        for t in trials {
            switch t.state {
            case .completed: completed += 1
            case .diverged: diverged += 1
            case .pruned: pruned += 1
            case .failed: failed += 1
            case .pending, .running: pending += 1
            case .cancelled: break
            }
        }
    }
}
