import Foundation

/// Runs a sweep's pending trials on this machine: at most `executor.workers` worker
/// processes at once, one loop on one thread owning all database writes (each epoch line its
/// own transaction), retries with exponential backoff from the checkpoint, clean stop on
/// SIGINT/SIGTERM.
public final class Scheduler {
    public struct Summary: Equatable, Sendable {
        public var completed = 0, diverged = 0, failed = 0, pending = 0
        public var stoppedBySignal = false
        public var wallSeconds = 0.0
        /// Σ worker lifetimes / (wall time × workers): how much of the worker slots the
        /// scheduler kept busy (1 − this is its overhead plus idle slots at the tail).
        public var slotUtilisation = 0.0
        /// SLURM executor: the tasks ("JOB_TASK") still queued or running when the client returned.
        public var clusterJobs: [String] = []
    }

    let store: any TrialStore
    let sweep: SweepRecord
    let executor: ExecutorConfig
    let checkpoints: URL
    let command: WorkerCommand
    let display: ProgressDisplay
    let stopRequested: () -> Bool

    private let queue = EventQueue()
    private var workers: [Int64: WorkerProcess] = [:]
    private var workerStarted: [Int64: Date] = [:]
    private var sawEnd: [Int64: WorkerLine.EndLine] = [:]
    private var notBefore: [Int64: Date] = [:]
    private var lastEpoch: [Int64: (epoch: Int, prd: Double?)] = [:]
    private var trials: [Int64: TrialRecord] = [:]
    private var busySeconds = 0.0
    private var epochsThisSession = 0
    private let started = Date()

    init(store: any TrialStore, sweep: SweepRecord, executor: ExecutorConfig, checkpoints: URL, command: WorkerCommand,
         display: ProgressDisplay, stopRequested: @escaping () -> Bool) {
        self.store = store; self.sweep = sweep; self.executor = executor; self.checkpoints = checkpoints
        self.command = command; self.display = display; self.stopRequested = stopRequested
    }

    /// The directory of one trial's checkpoint, config file and worker log.
    static func trialDirectory(_ checkpoints: URL, _ trial: TrialRecord) -> URL {
        checkpoints.appendingPathComponent(String(format: "%04d-", trial.number) + trial.configHash.prefix(12))
    }

    func run() throws -> Summary {
        for t in try store.trials(sweepID: sweep.id) { trials[t.id] = t }
        // If the loop throws (a database write failed), leave no worker running unattended;
        // the next run finds their trials `running` and resumes them.
        defer { for worker in workers.values { worker.signal(SIGKILL) } }
        var stopping = false
        while true {
            if !stopping, stopRequested() {
                stopping = true
                display.log("stopping: \(workers.count) running trial(s) go back to pending")
                stopWorkers()
            }
            if !stopping { try startWorkers() }
            if workers.isEmpty && (stopping || !trials.values.contains { $0.state == .pending }) { break }
            for event in queue.drain(timeout: 0.2) { try handle(event, stopping: stopping) }
            display.update(snapshot())
        }
        display.update(snapshot(), force: true)
        display.finish()
        return summary(stopped: stopping)
    }

    // MARK: starting

    private func startWorkers() throws {
        let now = Date()
        let ready = trials.values.filter { $0.state == .pending && (notBefore[$0.id] ?? .distantPast) <= now }
            .sorted { $0.number < $1.number }
        for trial in ready.prefix(max(0, executor.workers - workers.count)) {
            try start(trial)
        }
    }

    private func start(_ trial: TrialRecord) throws {
        let dir = Self.trialDirectory(checkpoints, trial)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let configPath = dir.appendingPathComponent("trial.json")
        guard let config = trial.config else { throw InvalidStoredTrial(id: trial.id) }
        try config.workerFileText.write(to: configPath, atomically: true, encoding: .utf8)
        // A trial started before (retry, clean stop, crashed scheduler) resumes from its checkpoint.
        let resume = trial.startedAt != nil
        let args = command.arguments(config: configPath.path, checkpointDir: dir.path, threads: executor.threads, resume: resume)
        let worker: WorkerProcess
        do {
            worker = try WorkerProcess(trialID: trial.id, command: command, arguments: args, threads: executor.threads,
                                       logPath: dir.appendingPathComponent("worker.log").path, queue: queue)
        } catch {
            throw WorkerLaunchFailed(executable: command.executable, reason: "\(error)")
        }
        workers[trial.id] = worker
        try store.claim(trialID: trial.id, workerPID: worker.pid)
        workerStarted[trial.id] = Date()
        sawEnd[trial.id] = nil
        try refresh(trial.id)
        display.log("#\(trial.number) \(trialLabel(trial)): started\(resume ? " (resuming, attempt \(trials[trial.id]!.attempts))" : "")")
    }

    // MARK: events

    private func handle(_ event: WorkerEvent, stopping: Bool) throws {
        switch event {
        case let .line(id, line):
            switch line {
            case let .epoch(record, replayed):
                guard trials[id]?.state == .running else { return }
                try store.recordEpoch(trialID: id, record)
                if !replayed { epochsThisSession += 1 }
                lastEpoch[id] = (record.epoch, trials[id].flatMap { metricValue(record, $0) })
                if !display.isTerminal, !replayed, let t = trials[id] {
                    let prd = lastEpoch[id]?.prd.map(formatNumber) ?? "-"
                    display.log("#\(t.number) epoch \(record.epoch)/\(t.config?.training.epochs ?? 0) PRD \(prd)")
                }
            case let .end(end):
                sawEnd[id] = end
            case let .unrecognised(text):
                display.log("#\(trials[id]?.number ?? -1): ignored a worker line that is not the protocol: \(text.prefix(120))")
            }
        case let .exited(id, status, killed):
            guard let worker = workers.removeValue(forKey: id), let trial = trials[id] else { return }
            busySeconds += Date().timeIntervalSince(workerStarted.removeValue(forKey: id) ?? Date())
            try ended(trial, worker: worker, status: status, killed: killed, stopping: stopping)
            try refresh(id)
        }
    }

    private func ended(_ trial: TrialRecord, worker: WorkerProcess, status: Int32, killed: Bool, stopping: Bool) throws {
        if let end = sawEnd[trial.id], status == 0, end.state == "completed" || end.state == "diverged" {
            display.log(try TrialEnding.finish(trial, end: end, store: store))
            return
        }
        let how = killed ? "killed by signal \(status)" : "exit code \(status)"
        let tail = worker.stderrTail()
        if stopping {
            try store.release(trialID: trial.id, error: nil, countsAsAttempt: false)
            return
        }
        let rejected = !killed && status == 2
        let reason = rejected ? tail : "worker \(how) without an end line" + (tail.isEmpty ? "" : ": \(tail)")
        let (message, delay) = try TrialEnding.attemptFailed(trials[trial.id] ?? trial, reason: reason, configRejected: rejected,
                                                             logHint: worker.logPath, executor: executor, store: store)
        if let delay { notBefore[trial.id] = Date().addingTimeInterval(delay) }
        display.log(message)
    }

    // MARK: stopping

    /// SIGTERM to every worker, then SIGKILL to those still alive after 5 s; their exits
    /// arrive as events and release the trials to pending.
    private func stopWorkers() {
        for worker in workers.values { worker.signal(SIGTERM) }
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline && workers.values.contains(where: { $0.isRunning }) { usleep(20_000) }
        for worker in workers.values { worker.signal(SIGKILL) }
    }

    // MARK: bookkeeping

    private func refresh(_ id: Int64) throws { trials[id] = try store.trial(id: id) }

    private func metricValue(_ e: EpochRecord, _ t: TrialRecord) -> Double? {
        t.config?.qg.metric == "raw_prd" ? e.rawPRD : e.physPRD
    }

    private func snapshot() -> ProgressSnapshot {
        ProgressSnapshot(trials: Array(trials.values), lastEpoch: lastEpoch, epochsThisSession: epochsThisSession, since: started)
    }

    private func summary(stopped: Bool) -> Summary {
        var s = Summary(trials: Array(trials.values))
        s.stoppedBySignal = stopped
        s.wallSeconds = Date().timeIntervalSince(started)
        s.slotUtilisation = s.wallSeconds > 0 ? busySeconds / (s.wallSeconds * Double(executor.workers)) : 0
        return s
    }
}

extension Scheduler.Summary {
    /// The counts of trials per outcome (cancelled ones are in none of them).
    init(trials: [TrialRecord]) {
        self.init()
        for t in trials {
            switch t.state {
            case .completed: completed += 1
            case .diverged: diverged += 1
            case .failed: failed += 1
            case .pending, .running: pending += 1
            case .cancelled: break
            }
        }
    }
}

struct InvalidStoredTrial: Error, CustomStringConvertible {
    let id: Int64
    var description: String { "trial \(id): its params_json does not decode as a trial config (was the database edited?)" }
}

struct WorkerLaunchFailed: Error, CustomStringConvertible {
    let executable: String
    let reason: String
    var description: String { "cannot start the worker \(executable): \(reason)" }
}
