import Foundation
import UserErrors

/// `lipsweep sync` and `lipsweep cancel`: follow or stop a sweep that `lipsweep run` submitted
/// to SLURM, with the executor settings that run stored in the database.
public struct SlurmSweep {
    public let results: ResultsDirectory
    public let sweepName: String?

    public init(results: ResultsDirectory, sweepName: String?) { self.results = results; self.sweepName = sweepName }

    /// One step (read the spool, resubmit, submit), or steps until no trial is pending or running.
    public func sync(wait: Bool, stopRequested: @escaping () -> Bool = { StopSignals.received != nil }) throws -> (SweepRecord, SweepSummary) {
        try withExecutor { sweep, ledger, executor in
            let reserve = SpaceReserve(results: results)
            try reserve.claim()
            return (sweep, try SweepDriver(ledger: ledger, executor: executor, stopRequested: stopRequested, reserve: reserve,
                                           databasePath: results.database.path).run(mode: wait ? .untilDone : .once))
        }
    }

    /// Cancels the sweep's running tasks and marks their trials cancelled; returns their job ids.
    public func cancel() throws -> (SweepRecord, [String]) {
        try withExecutor { sweep, _, executor in (sweep, try executor.cancel()) }
    }

    private func withExecutor<T>(_ body: (SweepRecord, TrialLedger, SlurmExecutor) throws -> T) throws -> T {
        let store = try results.openExisting(migrating: true)
        let lock = try DirectoryLock(results.lockFile)
        defer { withExtendedLifetime(lock) {} }
        let sweep = try results.sweep(in: store, named: sweepName)
        guard let executor = sweep.executor, executor.kind == .slurm, executor.slurm.spool != nil else {
            throw InvalidInput("\(results.database.path): sweep \"\(sweep.name)\" was not run on SLURM; `lipsweep run SPEC --executor slurm` submits it, `lipsweep run SPEC` runs it here")
        }
        // The search and the pruner as the last `run` stored them: the database alone says
        // how the sweep goes on (a grid's trials were all stored by that run).
        let ledger = TrialLedger(store: store, sweep: sweep, executor: executor, display: ProgressDisplay(),
                                 search: try sweep.searchStrategy(planned: []), pruner: try sweep.pruner())
        if let journal = try executor.output.openJournal(sweep: sweep, store: store) { ledger.observers.append(journal) }
        return try body(sweep, ledger, SlurmExecutor.make(ledger: ledger, settings: executor))
    }
}

extension SlurmExecutor {
    /// The executor of `settings` (whose spool is set) running this very `lipsweep` on the nodes.
    static func make(ledger: TrialLedger, settings: ExecutorConfig) -> SlurmExecutor {
        SlurmExecutor(ledger: ledger, settings: settings, spool: Spool(URL(fileURLWithPath: settings.slurm.spool!)),
                      slurm: SlurmCommand(), program: WorkerCommand.resolve(environment: [:]).executable)
    }
}
