import DurableFiles
import Foundation

/// The one loop that runs a sweep on any executor: read what the workers did, store it
/// (TrialLedger, which also asks the pruner at the rungs), stop the workers of pruned trials,
/// add the trials the search asks for, start the trials that are ready while the executor has
/// room, show progress; until no trial is pending or running, or once (`sync`, `run
/// --detach`: one step of the same loop, so `sync` continues a search exactly where it was). On SIGINT/SIGTERM it
/// stops cleanly: local workers are stopped and their trials go back to pending; SLURM jobs
/// keep running.
final class SweepDriver {
    enum Mode: Sendable { case untilDone, once }

    let ledger: TrialLedger
    let executor: any TrialExecutor
    let stopRequested: () -> Bool
    /// How long one poll waits for an event.
    static let pollSeconds = 0.2

    /// Freed first when the disk fills, to make room for the writes of the stop.
    let reserve: SpaceReserve?
    /// The database's path, named when one of its writes finds the disk full.
    let databasePath: String

    init(ledger: TrialLedger, executor: any TrialExecutor, stopRequested: @escaping () -> Bool,
         reserve: SpaceReserve? = nil, databasePath: String) {
        self.ledger = ledger; self.executor = executor; self.stopRequested = stopRequested
        self.reserve = reserve; self.databasePath = databasePath
    }

    func run(mode: Mode) throws -> SweepSummary {
        try ledger.reload()
        // If the loop throws (a database write failed), leave no local worker running unattended.
        var completed = false
        defer { if !completed { executor.abandon() } }
        do {
            let summary = try loop(mode: mode)
            completed = true
            return summary
        } catch {
            // A full disk, found by a worker or by a write of ours, stops the sweep at once:
            // retrying cannot help until space is freed (DurableFiles' OutOfSpace).
            guard let full = ledger.outOfSpace ?? OutOfSpace.detect(error, fallbackPath: databasePath) else { throw error }
            stopForFullDisk(full)
            throw full
        }
    }

    /// Every running trial goes back to pending, uncharged: their workers are stopped (local
    /// ones SIGTERM, then SIGKILL after 5 s; SLURM tasks are scancelled), the reserve is freed
    /// so that the database can take the writes, and each trial is released. A write that still
    /// fails leaves its trial `running`, which the next run's recovery releases the same way.
    private func stopForFullDisk(_ full: OutOfSpace) {
        reserve?.free()
        let running = ledger.running
        ledger.log("\(full): stopping; \(running.count) running trial(s) go back to pending")
        if executor.holdsWorkers { executor.stopAll() } else { try? executor.stop(running) }
        for trial in running { try? ledger.giveBack(trial.id) }
        ledger.showProgress(force: true)
        ledger.display.finish()
    }

    private func loop(mode: Mode) throws -> SweepSummary {
        var stopping = false
        while true {
            if !stopping, stopRequested() {
                stopping = true
                if executor.holdsWorkers {
                    ledger.log("stopping: \(ledger.running.count) running trial(s) go back to pending")
                }
                executor.stopAll()
            }
            for event in try executor.poll(timeout: mode == .once ? 0 : Self.pollSeconds) { try ledger.handle(event) }
            if let full = ledger.outOfSpace { throw full }
            let stop = ledger.takeWorkersToStop()
            if !stop.isEmpty { try executor.stop(stop) }
            if !stopping {
                // Trials waiting at a rung whose pool is complete, or can grow no more.
                try ledger.decideWaiting()
                let prunedNow = ledger.takeWorkersToStop()
                if !prunedNow.isEmpty { try executor.stop(prunedNow) }
                try ledger.extendSearch()
                // A one-shot step does not wait out a retry's backoff: nothing would come back for it.
                let ready = ledger.ready(honourBackoff: mode == .untilDone)
                try ledger.launch(Array(ready.prefix(executor.capacity)), on: executor)
            }
            ledger.showProgress()
            if mode == .once { break }
            if stopping ? !executor.holdsWorkers || ledger.running.isEmpty : !ledger.hasOpenTrials { break }
        }
        ledger.showProgress(force: true)
        ledger.display.finish()
        return ledger.summary(stopped: stopping, busySeconds: executor.busySeconds)
    }
}
