import DurableFiles
import Foundation

/// Runs trials on a SLURM cluster. Launching submits the trials as one job array over the
/// spool directory; polling (every executor.slurm.poll_seconds, and at once on the first call)
/// reads each running trial's new spool lines and reports trials whose task left the queue
/// without an end line. The workers write only the spool; the driver's ledger alone writes the
/// database. Stopping the client leaves the cluster's jobs running.
final class SlurmExecutor: DetachedExecutor {
    /// The sweep it runs (the ledger); the executor never writes the store.
    let host: any ExecutorHost
    let settings: ExecutorConfig
    let spool: Spool
    let slurm: SlurmCommand
    /// The `lipsweep` the nodes run (this executable: the path must be valid on the nodes).
    let program: String

    private let reader = SpoolReader()
    private var nextPoll = Date.distantPast
    private var queueWarned = false

    /// How long a task that exited 0 may take to show its end line (a network filesystem's
    /// attribute cache may lag behind the queue) before it counts as a failed attempt.
    static let endLineGraceSeconds = 30.0

    init(host: any ExecutorHost, settings: ExecutorConfig, spool: Spool, slurm: SlurmCommand, program: String) {
        self.host = host; self.settings = settings; self.spool = spool; self.slurm = slurm; self.program = program
    }

    static let kind = ExecutorKind.slurm
    static let displayName = "SLURM"

    static func describe(_ settings: ExecutorConfig) -> String { "on SLURM, \(settings.threads) thread(s) per task" }

    /// The spool is remembered as an absolute path, so `sync` from any directory finds it.
    static func resolve(_ settings: inout ExecutorConfig, results: ResultsDirectory, sweep: String) {
        settings.slurm.spool = Spool.directory(results: results, sweep: sweep, override: settings.slurm.spool).path
    }

    /// A running trial with a job is the cluster's: `sync` and the attached scheduler follow it.
    static func recoverInterrupted(_ stored: [TrialRecord], store: any TrialStore, results: ResultsDirectory, sweep: String) throws {}

    /// The executor of `context.settings` (resolved: the spool is set) running this very
    /// `lipsweep` on the nodes.
    static func make(_ context: ExecutorContext) -> SlurmExecutor {
        SlurmExecutor(host: context.host, settings: context.settings, spool: Spool(Spool.directory(results: context.results, sweep: context.sweep, override: context.settings.slurm.spool)),
                      slurm: SlurmCommand(), program: EmbeddedTrainer().executable)
    }

    var jobName: String { "lipsweep-\(host.sweepName)" }
    var capacity: Int { Int.max }
    var holdsWorkers: Bool { false }
    var busySeconds: Double { 0 }
    func stopAll() {}
    func abandon() {}

    // MARK: polling

    func poll(timeout: TimeInterval) throws -> [TrialEvent] {
        let wait = min(timeout, nextPoll.timeIntervalSinceNow)
        if wait > 0 { usleep(UInt32(wait * 1e6)) }
        guard Date() >= nextPoll else { return [] }
        nextPoll = Date().addingTimeInterval(settings.slurm.pollSeconds)
        var events: [TrialEvent] = []
        // A trial `running` without a job was left by the local executor or by a client that
        // died between claiming and submitting: nothing runs it, so it goes back to pending.
        for trial in host.running where trial.jobID == nil { events.append(.released(trialID: trial.id)) }
        let withJobs = host.running.filter { $0.jobID != nil }
        var ended = Set<Int64>()
        for trial in withJobs {
            try host.noteStoredEpochs(of: trial)
            let read = read(trial)
            events += read
            if read.contains(where: { if case .ended = $0 { true } else { false } }) { ended.insert(trial.id) }
        }
        let unfinished = withJobs.filter { !ended.contains($0.id) }
        if !unfinished.isEmpty, let queue = try listQueue() {
            for trial in unfinished where queue[trial.jobID!]?.isLive != true {
                events += taskGone(trial, state: queue[trial.jobID!])
            }
        }
        return events
    }

    /// The trial's spool lines not read before, as events (an end line ends the trial).
    private func read(_ trial: TrialRecord) -> [TrialEvent] {
        reader.read(trialID: trial.id, file: Spool.linesFile(spool.trialDirectory(trial))).map { line in
            switch line {
            case let .epoch(record, replayed): .epoch(trialID: trial.id, record, replayed: replayed)
            case let .end(end): .ended(trialID: trial.id, end)
            case let .histograms(line): .histograms(trialID: trial.id, line)
            case let .unrecognised(text): .unrecognised(trialID: trial.id, text)
            }
        }
    }

    /// squeue's view of this sweep's tasks; nil (and one warning) when squeue fails, so a
    /// controller hiccup never counts as every task vanishing.
    private func listQueue() throws -> [String: SlurmTaskState]? {
        let out = try slurm.run("squeue", SqueueListing.arguments(jobName: jobName))
        guard out.status == 0 else {
            if !queueWarned { host.log("squeue failed (\(out.stderr.trimmingCharacters(in: .whitespacesAndNewlines))); will retry") }
            queueWarned = true
            return nil
        }
        queueWarned = false
        return try SqueueListing.parse(out.stdout)
    }

    /// The trial's task is no longer queued or running: its last lines, then either its end
    /// line or a failed attempt (after a grace period for a task that exited 0).
    private func taskGone(_ trial: TrialRecord, state: SlurmTaskState?) -> [TrialEvent] {
        let dir = spool.trialDirectory(trial)
        let late = read(trial)    // lines written after the first read of this poll
        if late.contains(where: { if case .ended = $0 { true } else { false } }) { return late }
        let exit = Spool.readExit(dir).flatMap { $0.record.job == trial.jobID ? $0 : nil }
        if let exit, exit.record.status == 0, !exit.record.signal,
           Date().timeIntervalSince(exit.written) < Self.endLineGraceSeconds { return late }
        let what: String
        switch state {
        case .completed?: what = "SLURM task \(trial.jobID!) completed without an end line"
        case let .ended(name)?: what = "SLURM task \(trial.jobID!) \(name)"
        default: what = "SLURM task \(trial.jobID!) vanished from the queue without an end line"
        }
        let exitText = exit.map { $0.record.signal ? ", trainer killed by signal \($0.record.status)" : ", trainer exit code \($0.record.status)" } ?? ""
        let log = dir.appendingPathComponent("worker.log").path
        let tail = logTail(log)
        if let path = OutOfSpace.reported(status: exit?.record.status ?? 1, killed: exit?.record.signal ?? false, stderrTail: tail,
                                          directory: dir.path) {
            return late + [.outOfSpace(trialID: trial.id, path: path)]
        }
        let rejected = exit.map { !$0.record.signal && $0.record.status == 2 } ?? false
        let reason = rejected ? tail : what + exitText + (tail.isEmpty ? "" : ": \(tail)")
        return late + [.attemptFailed(trialID: trial.id, reason: reason, configRejected: rejected, log: log)]
    }

    // MARK: submitting

    /// One job array for `trials` (claimed already): the manifest, each trial's config and the
    /// batch script are written durably before sbatch, so a node never reads half of one.
    func launch(_ trials: [TrialRecord]) throws -> [Int64: WorkerHandle] {
        try spool.write(Spool.Manifest(sweep: host.sweepName, threads: settings.threads,
                                       trials: Dictionary(uniqueKeysWithValues: host.allTrials.map {
                                           (String($0.number), spool.trialDirectory($0).lastPathComponent) }),
                                       worker: settings.worker))
        for trial in trials {
            let dir = spool.trialDirectory(trial)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try DurableFile.write(trial.config.workerFileText, to: dir.appendingPathComponent("trial.json"))
        }
        try FileManager.default.createDirectory(at: spool.jobsDirectory, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: spool.url.appendingPathComponent("slurm"), withIntermediateDirectories: true)
        let stamp = Int(Date().timeIntervalSince1970 * 1000)
        let submission = BatchSubmission(
            jobName: jobName, trialNumbers: trials.map(\.number), options: settings.slurm, threads: settings.threads,
            spool: spool.url, program: program, customWorker: slurm.environment[WorkerKinds.environmentVariable].flatMap { $0.isEmpty ? nil : $0 },
            scriptPath: spool.jobsDirectory.appendingPathComponent("\(jobName)-\(stamp).sh"))
        try DurableFile.write(submission.script, to: submission.scriptPath)
        let out = try slurm.run("sbatch", submission.arguments)
        guard out.status == 0 else {
            let message = out.stderr.split(whereSeparator: \.isNewline).map(String.init).last ?? "exit code \(out.status)"
            let cleaned = message.replacingOccurrences(of: "sbatch: error: ", with: "")
            let error = SlurmError.refused(program: "sbatch", message: cleaned, isSettingsMistake: SlurmError.isSettingsMistake(cleaned))
            if case .refused(_, _, true) = error { throw SlurmSettingsError(underlying: error) }
            throw error
        }
        let jobID = try BatchSubmission.jobID(fromParsable: out.stdout)
        host.log("submitted job array \(jobID) (\(trials.count) trial(s): \(submission.arraySpec)) to SLURM")
        return Dictionary(uniqueKeysWithValues: trials.map { ($0.id, .job(id: "\(jobID)_\($0.number)")) })
    }

    // MARK: stopping

    /// scancels the tasks of pruned trials and of trials that wait at a rung. A task that already ended is no error; any other
    /// refusal is logged and left (the trial is pruned whatever its task does; the task only
    /// runs on to its end).
    func stop(_ trials: [TrialRecord]) throws {
        let ids = trials.compactMap(\.jobID)
        guard !ids.isEmpty else { return }
        let out = try slurm.run("scancel", ids)
        let complaints = Self.scancelComplaints(out)
        if out.status != 0 && !complaints.isEmpty {
            host.log("scancel \(ids.joined(separator: " ")) of pruned or waiting trial(s): \(complaints.joined(separator: " ")); their tasks run on to their end")
        }
    }

    /// scancel's stderr lines other than those about tasks that have ended already.
    static func scancelComplaints(_ out: SlurmCommand.Output) -> [String] {
        out.stderr.split(whereSeparator: \.isNewline).map(String.init).filter {
            !$0.contains("already completing or completed") && !$0.contains("Invalid job id")
        }
    }

    // MARK: cancelling

    func pollNow() { nextPoll = .distantPast }

    /// scancels the tasks of `trials` and waits (up to a minute) for them to leave the queue,
    /// so a later run never has two workers in one checkpoint directory; returns the lines
    /// they wrote meanwhile (a worker that printed its end line before the signal reached it
    /// still counts).
    func cancel(_ trials: [TrialRecord]) throws -> [TrialEvent] {
        let ids = trials.compactMap(\.jobID)
        guard !ids.isEmpty else { return [] }
        let out = try slurm.run("scancel", ids)
        let complaints = Self.scancelComplaints(out)
        if out.status != 0 && !complaints.isEmpty {
            throw SlurmError.refused(program: "scancel", message: complaints.joined(separator: " "), isSettingsMistake: false)
        }
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, let queue = try listQueue(), ids.contains(where: { queue[$0]?.isLive == true }) { usleep(200_000) }
        return trials.flatMap(read)
    }
}
