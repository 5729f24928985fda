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
    /// Which trials reached each rung and which were decided there (`pruning.min_trials`):
    /// loaded from the store's decisions and epochs once, then kept in step by `review`.
    private var pools: RungPools?
    /// Trials that wait at a rung and whose workers are being stopped; their exit gives them
    /// back to pending, where they wait for their decision.
    private var stoppingToWait: Set<Int64> = []
    /// Trials pruned, or made to wait, whose workers the driver has yet to stop.
    private var workersToStop: [TrialRecord] = []
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
        if let pruner, pools == nil {
            // A trial added later has no epochs: the store is read once.
            var loaded = RungPools(pruner: pruner, decisions: try store.rungDecisions(sweepID: sweep.id))
            for (id, epochs) in try store.epochs(sweepID: sweep.id) {
                guard let trial = trials[id], let last = epochs.map(\.epoch).max() else { continue }
                for rung in pruner.rungs where rung <= last && rung < trial.config.training.epochs {
                    _ = loaded.arrive(id, rung: rung, value: pruner.value(epochs, rung: rung))
                }
            }
            pools = loaded
            // A trial still running though it waits at a rung: its stop was asked for by an
            // earlier process (`sync` after `run --detach`, or one that died). Ask again, so
            // that its end gives it back to pending uncharged instead of failing an attempt.
            for trial in trials.values.sorted(by: { $0.number < $1.number }) where trial.state == .running && loaded.isWaiting(trial.id) {
                stoppingToWait.insert(trial.id)
                workersToStop.append(trial)
            }
        }
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

    /// Pending trials whose backoff has passed (all pending ones unless `honourBackoff`) and
    /// that do not wait at a rung, in start order (`startsBefore`).
    func ready(honourBackoff: Bool, now: Date = Date()) -> [TrialRecord] {
        trials.values.filter { $0.state == .pending && (!honourBackoff || (notBefore[$0.id] ?? .distantPast) <= now) && !(pools?.isWaiting($0.id) ?? false) }
            .sorted(by: startsBefore)
    }

    /// The order in which trials start. Without pruning, by trial number (the order of `plan`):
    /// the results do not depend on it. With pruning they do — decisions rank a trial against
    /// those that reached the rung before it — and numbers run regularizer-outermost, so number
    /// order would let the first regularizer's trials reach every rung first. By config hash
    /// instead: a fixed pseudo-random permutation of the grid, the same on every run and
    /// machine, independent of any axis, so a trial's arrival position carries no information
    /// about its configuration (docs/science.md, "Pruning without arrival bias").
    private func startsBefore(_ a: TrialRecord, _ b: TrialRecord) -> Bool {
        pruner == nil ? a.number < b.number : (a.configHash, a.number) < (b.configHash, b.number)
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
            // A trial that waits at a rung stores nothing past it until it resumes.
            guard let trial = trials[id], trial.state == .running, !stoppingToWait.contains(id) else { return }
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
            guard trials[id]?.state == .running, !stoppingToWait.contains(id) else { return }
            try store.recordHistograms(trialID: id, line)
        case let .unrecognised(id, text):
            display.log("#\(trials[id]?.number ?? -1): ignored a worker line that is not the protocol: \(text.prefix(120))")
        case let .ended(id, _) where stoppingToWait.contains(id), let .attemptFailed(id, _, _, _) where stoppingToWait.contains(id):
            // The worker of a trial that waits at a rung is gone (stopped, or done before the
            // stop reached it): back to pending, uncharged; it resumes from its checkpoint once
            // decided to go on. A trial pruned meanwhile stays pruned.
            stoppingToWait.remove(id)
            try giveBack(id)
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
            stoppingToWait.remove(id)
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
    /// one of its rungs before the trial's last epoch and no decision was made there yet. With
    /// at least `min_trials` trials at the rung (itself included) it is decided at once, and so
    /// are those that waited there; with fewer it waits: its worker is stopped and it goes back
    /// to pending, not to be started again before its decision (`decideWaiting`).
    private func review(_ trial: TrialRecord, at epoch: Int) throws -> RungDecision.Verdict? {
        guard let pruner, pools != nil, pruner.rungs.contains(epoch), epoch < trial.config.training.epochs,
              !pools!.isDecided(trial.id, rung: epoch) else { return nil }
        let now = pools!.arrive(trial.id, rung: epoch, value: pruner.value(try store.epochs(trialID: trial.id), rung: epoch))
        guard !now.isEmpty else {
            stoppingToWait.insert(trial.id)
            workersToStop.append(trial)
            let here = pools!.reached[epoch]?.count ?? 0
            display.log("\(TrialEnding.name(trial)): waits at epoch \(epoch) until \(pruner.minTrials) trials have reached it (\(here) so far)")
            return nil
        }
        let verdict = try decide(trial, at: epoch)
        try decideWaiting()
        return verdict
    }

    /// Decides the trials that wait at a rung once `min_trials` trials have reached it, or once
    /// no other trial can still reach it (every trial that has not is finished, failed or
    /// cancelled: the end of a sweep, or a pool smaller than `min_trials`), with the trials
    /// that did. Rungs in increasing order: a trial waiting at an earlier rung may still reach a
    /// later one. Trials at one rung are decided against the same pool, so their order changes
    /// no verdict; it is the start order, for the log.
    func decideWaiting() throws {
        guard let pruner, pools != nil else { return }
        for rung in pruner.rungs {
            let pool = pools!.reached[rung] ?? [:]
            guard !pools!.waiting(at: rung).isEmpty else { continue }
            let othersMayArrive = trials.values.contains { t in
                (t.state == .pending || t.state == .running) && pool[t.id] == nil && rung < t.config.training.epochs
            }
            // Only trials that can still be decided: pending (waiting) or running.
            let due = pools!.due(at: rung, othersMayArrive: othersMayArrive).compactMap { trials[$0] }
                .filter { $0.state == .pending || $0.state == .running }
            for trial in due.sorted(by: startsBefore) { try decide(trial, at: rung) }
        }
    }

    /// Decides `trial` at `rung` against every other trial that has reached it and stores the
    /// decision; a trial it prunes ends as `pruned` with its QG figures, and a running worker
    /// of it is left for the driver to stop (`takeWorkersToStop`).
    @discardableResult
    private func decide(_ trial: TrialRecord, at rung: Int) throws -> RungDecision.Verdict {
        let decision = pools!.decision(for: trial, at: rung)
        let shown = decision.value.map(formatNumber) ?? "none"
        let rank = "\(decision.metric) \(shown) among the \(decision.reached) trial(s) that reached epoch \(rung), of which the best \(decision.kept) go on"
        if decision.verdict == .prune {
            let epochs = try store.epochs(trialID: trial.id)
            let outcome = TrialEnding.pruned(trial, epochs: epochs)
            try store.recordRungDecision(decision, pruned: outcome)
            display.log("\(TrialEnding.name(trial)): pruned at epoch \(rung) (\(rank))" + (outcome.qg?.qg.map { ", QG \(formatNumber($0))" } ?? ""))
            if trials[trial.id]?.state == .running && !stoppingToWait.contains(trial.id) { workersToStop.append(trial) }
        } else {
            try store.recordRungDecision(decision, pruned: nil)
            display.log("\(TrialEnding.name(trial)): goes on past epoch \(rung) (\(rank))")
        }
        pools!.record(decision)
        try refresh(trial.id)
        return decision.verdict
    }

    /// The workers to stop since the last call (pruned trials and trials that wait at a rung),
    /// as the trials were while running (with their worker).
    func takeWorkersToStop() -> [TrialRecord] {
        defer { workersToStop = [] }
        return workersToStop
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
