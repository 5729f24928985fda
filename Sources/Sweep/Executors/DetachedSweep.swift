import Foundation
import UserErrors

/// `lipsweep sync` and `lipsweep cancel`: follow or stop a sweep that `lipsweep run` left to
/// an executor whose workers run without lipsweep attached (SLURM), with the executor
/// settings, search and pruning that run stored in the database.
public struct DetachedSweep {
    public let results: ResultsDirectory
    public let sweepName: String?

    public init(results: ResultsDirectory, sweepName: String?) { self.results = results; self.sweepName = sweepName }

    /// One step (read what the workers wrote, resubmit, submit), or steps until no trial is
    /// pending or running.
    public func sync(wait: Bool, stopRequested: @escaping () -> Bool = { StopSignals.received != nil }) throws -> (SweepRecord, SweepSummary) {
        try withExecutor { sweep, ledger, executor in
            let reserve = SpaceReserve(results: results)
            try reserve.claim()
            return (sweep, try SweepDriver(ledger: ledger, executor: executor, stopRequested: stopRequested, reserve: reserve,
                                           databasePath: results.database.path).run(mode: wait ? .untilDone : .once))
        }
    }

    /// Reads what the workers wrote, then stops the workers of the trials still running and
    /// marks those trials cancelled; returns their job ids.
    public func cancel() throws -> (SweepRecord, [String]) {
        try withExecutor { sweep, ledger, executor in
            try ledger.reload()
            executor.pollNow()
            for event in try executor.poll(timeout: 0) { try ledger.handle(event) }
            try executor.stop(ledger.takeWorkersToStop())
            let targets = ledger.running.filter { $0.jobID != nil }
            for event in try executor.cancel(targets) { try ledger.handle(event) }
            let stillRunning = Set(ledger.running.map(\.id))
            var cancelled: [String] = []
            for trial in targets where stillRunning.contains(trial.id) {
                try ledger.cancel(trial.id)
                cancelled.append(trial.jobID!)
            }
            return (sweep, cancelled)
        }
    }

    private func withExecutor<T>(_ body: (SweepRecord, TrialLedger, any DetachedExecutor) throws -> T) throws -> T {
        let store = try results.openExisting(migrating: true)
        let lock = try DirectoryLock(results.lockFile)
        defer { withExtendedLifetime(lock) {} }
        let sweep = try results.sweep(in: store, named: sweepName)
        let detached = ExecutorKind.detached
        guard let settings = sweep.executor, let kind = ExecutorKinds.named(settings.kind), kind.runsDetached else {
            throw InvalidInput("\(results.database.path): sweep \"\(sweep.name)\" was not run on \(detached.map(\.displayName).joined(separator: " or ")); `lipsweep run SPEC --executor \(detached[0])` submits it, `lipsweep run SPEC` runs it here")
        }
        // The search and the pruner as the last `run` stored them: the database alone says
        // how the sweep goes on (a grid's trials were all stored by that run).
        let ledger = TrialLedger(store: store, sweep: sweep, executor: settings, display: ProgressDisplay(),
                                 search: try sweep.search(), pruner: try sweep.pruner())
        if let journal = try settings.output.openJournal(sweep: sweep, store: store) { ledger.observers.append(journal) }
        let executor = kind.makeDetached(ExecutorContext(settings: settings, results: results, sweep: sweep.name,
                                                         worker: WorkerKinds.resolve(), host: ledger))!
        return try body(sweep, ledger, executor)
    }
}
