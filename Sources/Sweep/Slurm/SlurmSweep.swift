import Foundation
import Tensor

/// `lipsweep sync` and `lipsweep cancel`: follow or stop a sweep that `lipsweep run` submitted
/// to SLURM, with the executor settings that run stored in the database.
public struct SlurmSweep {
    public let results: ResultsDirectory
    public let sweepName: String?

    public init(results: ResultsDirectory, sweepName: String?) { self.results = results; self.sweepName = sweepName }

    /// One step (ingest, resubmit, submit), or steps until no trial is pending or running.
    public func sync(wait: Bool, stopRequested: @escaping () -> Bool = { StopSignals.received != nil }) throws -> (SweepRecord, Scheduler.Summary) {
        try withScheduler(stopRequested: stopRequested) { sweep, scheduler in
            (sweep, try scheduler.run(mode: wait ? .untilDone : .once))
        }
    }

    /// Cancels the sweep's running tasks and marks their trials cancelled; returns their job ids.
    public func cancel() throws -> (SweepRecord, [String]) {
        try withScheduler(stopRequested: { false }) { sweep, scheduler in (sweep, try scheduler.cancel()) }
    }

    private func withScheduler<T>(stopRequested: @escaping () -> Bool, _ body: (SweepRecord, SlurmScheduler) throws -> T) throws -> T {
        let store = try results.openExisting()
        let lock = try DirectoryLock(results.lockFile)
        defer { withExtendedLifetime(lock) {} }
        let sweep = try results.sweep(in: store, named: sweepName)
        guard let json = sweep.executorJSON, let executor = try? JSONDecoder().decode(ExecutorConfig.self, from: Data(json.utf8)),
              executor.kind == "slurm", let spool = executor.slurm.spool else {
            throw InvalidInput("\(results.database.path): sweep \"\(sweep.name)\" was not run on SLURM; `lipsweep run SPEC --executor slurm` submits it, `lipsweep run SPEC` runs it here")
        }
        let scheduler = SlurmScheduler(store: store, sweep: sweep, executor: executor, spool: Spool(URL(fileURLWithPath: spool)),
                                       slurm: SlurmCommand(), program: WorkerCommand.resolve(environment: [:]).executable,
                                       display: ProgressDisplay(), stopRequested: stopRequested)
        return try body(sweep, scheduler)
    }
}
