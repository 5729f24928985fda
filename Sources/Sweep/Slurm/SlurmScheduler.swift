import Foundation

/// Runs a sweep's trials on a SLURM cluster. Each step: ingest every running trial's spool
/// lines into the database (the only writer), finish the trials whose worker printed its end
/// line, resubmit from their checkpoints those whose task ended otherwise or vanished (up to
/// executor.retries), then submit the pending trials as one job array. An attached run
/// repeats the step every executor.slurm.poll_seconds until no trial is pending or running;
/// `run --detach` and `sync` do one step; `sync --wait` loops like an attached run.
/// Stopping the client (SIGINT/SIGTERM) leaves the cluster's jobs running.
public final class SlurmScheduler {
    public enum Mode: Sendable { case once, untilDone }

    let store: any TrialStore
    let sweep: SweepRecord
    let executor: ExecutorConfig
    let spool: Spool
    let slurm: SlurmCommand
    /// The `lipsweep` the nodes run (this executable: the path must be valid on the nodes).
    let program: String
    let display: ProgressDisplay
    let stopRequested: () -> Bool

    private lazy var ingestor = SpoolIngestor(store: store)
    private var trials: [Int64: TrialRecord] = [:]
    private var notBefore: [Int64: Date] = [:]
    private var lastEpoch: [Int64: (epoch: Int, prd: Double?)] = [:]
    private var epochsThisSession = 0
    private var queueWarned = false
    private let started = Date()

    /// How long a task that exited 0 may take to show its end line (a network filesystem's
    /// attribute cache may lag behind the queue) before it counts as a failed attempt.
    static let endLineGraceSeconds = 30.0

    init(store: any TrialStore, sweep: SweepRecord, executor: ExecutorConfig, spool: Spool, slurm: SlurmCommand,
         program: String, display: ProgressDisplay, stopRequested: @escaping () -> Bool) {
        self.store = store; self.sweep = sweep; self.executor = executor; self.spool = spool; self.slurm = slurm
        self.program = program; self.display = display; self.stopRequested = stopRequested
    }

    var jobName: String { "lipsweep-\(sweep.name)" }

    func run(mode: Mode) throws -> Scheduler.Summary {
        var stopped = false
        while true {
            // A one-shot step does not wait out a retry's backoff: nothing would come back for it.
            try step(honourBackoff: mode == .untilDone)
            display.update(snapshot())
            let open = trials.values.contains { $0.state == .pending || $0.state == .running }
            if mode == .once || !open { break }
            if wait(seconds: executor.slurm.pollSeconds) { stopped = true; break }
        }
        display.update(snapshot(), force: true)
        display.finish()
        var summary = Scheduler.Summary(trials: Array(trials.values))
        summary.stoppedBySignal = stopped
        summary.wallSeconds = Date().timeIntervalSince(started)
        summary.clusterJobs = trials.values.filter { $0.state == .running }.compactMap(\.jobID).sorted()
        return summary
    }

    /// Sleeps up to `seconds`; true when a stop was requested meanwhile.
    private func wait(seconds: Double) -> Bool {
        let until = Date().addingTimeInterval(seconds)
        while Date() < until {
            if stopRequested() { return true }
            usleep(50_000)
        }
        return stopRequested()
    }

    // MARK: one step

    func step(honourBackoff: Bool) throws {
        let unfinished = try ingestRunning()
        if !unfinished.isEmpty, let queue = try listQueue() {
            for trial in unfinished {
                let state = queue[trial.jobID!]
                if state?.isLive == true { continue }
                try taskGone(trial, state: state)
            }
        }
        try reload()
        try submitReady(honourBackoff: honourBackoff)
    }

    /// Ingests every running trial's spool lines (finishing those with an end line); returns
    /// the trials still running on a job.
    private func ingestRunning() throws -> [TrialRecord] {
        try reload()
        let running = trials.values.filter { $0.state == .running }.sorted { $0.number < $1.number }
        // A trial `running` without a job was left by the local executor or by a client that
        // died between claiming and submitting: nothing runs it, so it goes back to pending.
        for trial in running where trial.jobID == nil {
            try store.release(trialID: trial.id, error: nil, countsAsAttempt: false)
        }
        let withJobs = running.filter { $0.jobID != nil }
        for trial in withJobs { try ingest(trial) }
        try reload()
        return withJobs.filter { trials[$0.id]?.state == .running }
    }

    private func reload() throws {
        trials = [:]
        for t in try store.trials(sweepID: sweep.id) { trials[t.id] = t }
    }

    /// Stores the trial's new spool lines; finishes it when its end line is there.
    private func ingest(_ trial: TrialRecord) throws {
        let file = Spool.linesFile(spool.trialDirectory(trial))
        if lastEpoch[trial.id] == nil, let stored = try store.epochs(trialID: trial.id).last {
            // Stored by an earlier client: shown, not logged or counted again when re-read.
            lastEpoch[trial.id] = (stored.epoch, trial.config?.qg.metric == "raw_prd" ? stored.rawPRD : stored.physPRD)
        }
        let result = try ingestor.ingest(trialID: trial.id, file: file)
        for line in result.unrecognised {
            display.log("#\(trial.number): ignored a worker line that is not the protocol: \(line.prefix(120))")
        }
        for record in result.epochs where record.epoch > (lastEpoch[trial.id]?.epoch ?? 0) {
            epochsThisSession += 1
            let prd = trial.config?.qg.metric == "raw_prd" ? record.rawPRD : record.physPRD
            lastEpoch[trial.id] = (record.epoch, prd)
            if !display.isTerminal {
                display.log("#\(trial.number) epoch \(record.epoch)/\(trial.config?.training.epochs ?? 0) PRD \(prd.map(formatNumber) ?? "-")")
            }
        }
        if let end = ingestor.end(trialID: trial.id), end.state == "completed" || end.state == "diverged" {
            display.log(try TrialEnding.finish(trial, end: end, store: store))
        }
    }

    /// squeue's view of this sweep's tasks; nil (and one warning) when squeue fails, so a
    /// controller hiccup never counts as every task vanishing.
    private func listQueue() throws -> [String: SlurmTaskState]? {
        let out = try slurm.run("squeue", SqueueListing.arguments(jobName: jobName))
        guard out.status == 0 else {
            if !queueWarned { display.log("squeue failed (\(out.stderr.trimmingCharacters(in: .whitespacesAndNewlines))); will retry") }
            queueWarned = true
            return nil
        }
        queueWarned = false
        return try SqueueListing.parse(out.stdout)
    }

    /// The trial's task is no longer queued or running and no end line was read.
    private func taskGone(_ trial: TrialRecord, state: SlurmTaskState?) throws {
        let dir = spool.trialDirectory(trial)
        try ingest(trial)    // lines written after the first read of this step
        if try store.trial(id: trial.id)?.state != .running { return }
        let exit = Spool.readExit(dir).flatMap { $0.record.job == trial.jobID ? $0 : nil }
        if let exit, exit.record.status == 0, !exit.record.signal,
           Date().timeIntervalSince(exit.written) < Self.endLineGraceSeconds { return }
        let what: String
        switch state {
        case .completed?: what = "SLURM task \(trial.jobID!) completed without an end line"
        case let .ended(name)?: what = "SLURM task \(trial.jobID!) \(name)"
        default: what = "SLURM task \(trial.jobID!) vanished from the queue without an end line"
        }
        let exitText = exit.map { $0.record.signal ? ", trainer killed by signal \($0.record.status)" : ", trainer exit code \($0.record.status)" } ?? ""
        let tail = logTail(dir.appendingPathComponent("worker.log").path)
        let rejected = exit.map { !$0.record.signal && $0.record.status == 2 } ?? false
        let reason = rejected ? tail : what + exitText + (tail.isEmpty ? "" : ": \(tail)")
        let (message, delay) = try TrialEnding.attemptFailed(trial, reason: reason, configRejected: rejected,
                                                             logHint: dir.appendingPathComponent("worker.log").path,
                                                             executor: executor, store: store)
        if let delay { notBefore[trial.id] = Date().addingTimeInterval(delay) }
        display.log(message)
    }

    // MARK: submitting

    /// The pending trials whose backoff has passed, as one job array. The trials are claimed
    /// (running, attempt counted) before sbatch and given back if it fails, so a refused
    /// submission leaves them pending and a client that dies mid-way never submits a trial twice.
    private func submitReady(honourBackoff: Bool) throws {
        let now = honourBackoff ? Date() : .distantFuture
        let ready = trials.values.filter { $0.state == .pending && (notBefore[$0.id] ?? .distantPast) <= now }
            .sorted { $0.number < $1.number }
        guard !ready.isEmpty else { return }
        try spool.write(Spool.Manifest(sweep: sweep.name, threads: executor.threads,
                                       trials: Dictionary(uniqueKeysWithValues: trials.values.map {
                                           (String($0.number), spool.trialDirectory($0).lastPathComponent) })))
        for trial in ready {
            let dir = spool.trialDirectory(trial)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            guard let config = trial.config else { throw InvalidStoredTrial(id: trial.id) }
            try config.workerFileText.write(to: dir.appendingPathComponent("trial.json"), atomically: true, encoding: .utf8)
        }
        try FileManager.default.createDirectory(at: spool.jobsDirectory, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: spool.url.appendingPathComponent("slurm"), withIntermediateDirectories: true)
        let stamp = Int(Date().timeIntervalSince1970 * 1000)
        let submission = BatchSubmission(
            jobName: jobName, trialNumbers: ready.map(\.number), options: executor.slurm, threads: executor.threads,
            spool: spool.url, program: program, customWorker: slurm.environment[WorkerCommand.environmentVariable].flatMap { $0.isEmpty ? nil : $0 },
            scriptPath: spool.jobsDirectory.appendingPathComponent("\(jobName)-\(stamp).sh"))
        try submission.script.write(to: submission.scriptPath, atomically: true, encoding: .utf8)

        for trial in ready { try store.claim(trialID: trial.id, workerPID: nil) }
        let jobID: String
        do {
            let out = try slurm.run("sbatch", submission.arguments)
            guard out.status == 0 else {
                let message = out.stderr.split(whereSeparator: \.isNewline).map(String.init).last ?? "exit code \(out.status)"
                let cleaned = message.replacingOccurrences(of: "sbatch: error: ", with: "")
                let error = SlurmError.refused(program: "sbatch", message: cleaned, isSettingsMistake: SlurmError.isSettingsMistake(cleaned))
                if case .refused(_, _, true) = error { throw SlurmSettingsError(underlying: error) }
                throw error
            }
            jobID = try BatchSubmission.jobID(fromParsable: out.stdout)
        } catch {
            for trial in ready { try store.release(trialID: trial.id, error: nil, countsAsAttempt: false) }
            throw error
        }
        for trial in ready { try store.assignJob(trialID: trial.id, jobID: "\(jobID)_\(trial.number)") }
        display.log("submitted job array \(jobID) (\(ready.count) trial(s): \(submission.arraySpec)) to SLURM")
        try reload()
    }

    // MARK: cancelling

    /// Ingests what the workers wrote, then scancels the tasks of the trials still running and
    /// marks them cancelled; waits (up to a minute) for those tasks to leave the queue so a
    /// later run never has two workers in one checkpoint directory. Returns the job ids.
    func cancel() throws -> [String] {
        let running = try ingestRunning()
        let ids = running.compactMap(\.jobID)
        guard !ids.isEmpty else { return [] }
        let out = try slurm.run("scancel", ids)
        let complaints = out.stderr.split(whereSeparator: \.isNewline).filter {
            !$0.contains("already completing or completed") && !$0.contains("Invalid job id")
        }
        if out.status != 0 && !complaints.isEmpty {
            throw SlurmError.refused(program: "scancel", message: complaints.joined(separator: " "), isSettingsMistake: false)
        }
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, let queue = try listQueue(), ids.contains(where: { queue[$0]?.isLive == true }) { usleep(200_000) }
        // A worker that printed its end line before the signal reached it still counts.
        var cancelled: [String] = []
        for trial in try ingestRunning() {
            try store.cancel(trialID: trial.id)
            cancelled.append(trial.jobID!)
        }
        try reload()
        return cancelled
    }

    // MARK: display

    private func snapshot() -> ProgressSnapshot {
        ProgressSnapshot(trials: Array(trials.values), lastEpoch: lastEpoch, epochsThisSession: epochsThisSession, since: started)
    }
}
