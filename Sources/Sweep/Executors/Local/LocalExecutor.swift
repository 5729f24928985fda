import DurableFiles
import Foundation

/// Runs trials as worker processes on this machine: at most `executor.workers` at once, each
/// `lipsweep train` (or LIPSWEEP_WORKER) for one trial with `executor.threads` threads, its
/// stdout read line by line on a task of its own and handed to the driver's loop as events.
final class LocalExecutor: TrialExecutorKind {
    let settings: ExecutorConfig
    let checkpoints: URL
    let command: any WorkerKind

    private let queue = EventQueue()
    private var workers: [Int64: WorkerProcess] = [:]
    private var workerStarted: [Int64: Date] = [:]
    private var sawEnd: [Int64: WorkerLine.EndLine] = [:]
    /// Workers of pruned trials sent SIGTERM, and when they get SIGKILL if still alive.
    private var killAt: [Int64: Date] = [:]
    private var stopping = false
    private(set) var busySeconds = 0.0

    init(settings: ExecutorConfig, checkpoints: URL, command: any WorkerKind) {
        self.settings = settings; self.checkpoints = checkpoints; self.command = command
    }

    static let kind = ExecutorKind.local
    static let displayName = "this machine"

    static func describe(_ settings: ExecutorConfig) -> String { "\(settings.workers) worker(s) × \(settings.threads) thread(s)" }
    static func resolve(_ settings: inout ExecutorConfig, results: ResultsDirectory, sweep: String) {}
    static func make(_ context: ExecutorContext) -> LocalExecutor {
        LocalExecutor(settings: context.settings, checkpoints: context.results.checkpoints(sweep: context.sweep), command: context.worker)
    }

    /// Trials left `running` without a cluster job by a scheduler that died go back to
    /// pending; a worker it left behind is killed first, so two workers never share a
    /// checkpoint directory. (A running trial with a job is its cluster's: `sync` follows it.)
    static func recoverInterrupted(_ stored: [TrialRecord], store: any TrialStore, results: ResultsDirectory, sweep: String) throws {
        let checkpoints = results.checkpoints(sweep: sweep)
        for trial in stored where trial.state == .running && trial.jobID == nil {
            let directory = trialDirectory(checkpoints, trial).path
            if let pid = trial.workerPID, isOurWorker(pid: pid, directory: directory) {
                kill(pid, SIGKILL)
                while kill(pid, 0) == 0 && isOurWorker(pid: pid, directory: directory) { usleep(10_000) }
            }
            try store.release(trialID: trial.id, error: nil, countsAsAttempt: false)
        }
    }

    /// Whether `pid` is alive and is a worker of that checkpoint directory (a pid alone may
    /// have been reused by an unrelated process).
    static func isOurWorker(pid: Int32, directory: String) -> Bool {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        let args = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        if args.isEmpty { return false }   // a zombie
        return args.contains(directory)
    }

    /// The directory of one trial's checkpoint, config file and worker log.
    static func trialDirectory(_ checkpoints: URL, _ trial: TrialRecord) -> URL {
        checkpoints.appendingPathComponent(String(format: "%04d-", trial.number) + trial.configHash.prefix(12))
    }

    var capacity: Int { stopping ? 0 : max(0, settings.workers - workers.count) }
    var holdsWorkers: Bool { true }

    func launch(_ trials: [TrialRecord]) throws -> [Int64: WorkerHandle] {
        var handles: [Int64: WorkerHandle] = [:]
        do {
            for trial in trials {
                let worker = try start(trial)
                handles[trial.id] = .process(pid: worker.pid)
            }
        } catch {
            for id in handles.keys { workers.removeValue(forKey: id)?.signal(SIGKILL) }
            throw error
        }
        return handles
    }

    private func start(_ trial: TrialRecord) throws -> WorkerProcess {
        let dir = Self.trialDirectory(checkpoints, trial)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let configPath = dir.appendingPathComponent("trial.json")
        try DurableFile.write(trial.config.workerFileText, to: configPath)
        // A trial started before (retry, clean stop, crashed scheduler) resumes from its checkpoint.
        let args = command.arguments(config: configPath.path, checkpointDir: dir.path, threads: settings.threads,
                                     resume: trial.startedAt != nil)
        let worker: WorkerProcess
        do {
            worker = try WorkerProcess(trialID: trial.id, command: command, arguments: args, threads: settings.threads,
                                       logPath: dir.appendingPathComponent("worker.log").path, queue: queue)
        } catch {
            throw WorkerLaunchFailed(executable: command.executable, reason: "\(error)")
        }
        workers[trial.id] = worker
        workerStarted[trial.id] = Date()
        sawEnd[trial.id] = nil
        return worker
    }

    func poll(timeout: TimeInterval) throws -> [TrialEvent] {
        for (id, deadline) in killAt where deadline <= Date() {
            workers[id]?.signal(SIGKILL)
            killAt[id] = nil
        }
        var events: [TrialEvent] = []
        for event in queue.drain(timeout: timeout) {
            switch event {
            case let .line(id, .epoch(record, replayed)): events.append(.epoch(trialID: id, record, replayed: replayed))
            case let .line(id, .end(end)): sawEnd[id] = end
            case let .line(id, .histograms(line)): events.append(.histograms(trialID: id, line))
            case let .line(id, .unrecognised(text)): events.append(.unrecognised(trialID: id, text))
            case let .exited(id, status, killed):
                guard let worker = workers.removeValue(forKey: id) else { continue }
                killAt[id] = nil
                busySeconds += Date().timeIntervalSince(workerStarted.removeValue(forKey: id) ?? Date())
                events.append(ending(id, worker: worker, status: status, killed: killed))
            }
        }
        return events
    }

    /// A worker is gone: its end line counts when it exited 0 after printing it; a stopped
    /// worker gives its trial back; anything else is a failed attempt.
    private func ending(_ id: Int64, worker: WorkerProcess, status: Int32, killed: Bool) -> TrialEvent {
        if let end = sawEnd.removeValue(forKey: id), status == 0, !killed {
            return .ended(trialID: id, end)
        }
        if stopping { return .released(trialID: id) }
        let how = killed ? "killed by signal \(status)" : "exit code \(status)"
        let tail = worker.stderrTail()
        if let path = OutOfSpace.reported(status: status, killed: killed, stderrTail: tail,
                                          directory: URL(fileURLWithPath: worker.logPath).deletingLastPathComponent().path) {
            return .outOfSpace(trialID: id, path: path)
        }
        let rejected = !killed && status == 2
        let reason = rejected ? tail : "worker \(how) without an end line" + (tail.isEmpty ? "" : ": \(tail)")
        return .attemptFailed(trialID: id, reason: reason, configRejected: rejected, log: worker.logPath)
    }

    func stop(_ trials: [TrialRecord]) {
        for trial in trials {
            guard let worker = workers[trial.id] else { continue }
            worker.signal(SIGTERM)
            killAt[trial.id] = Date().addingTimeInterval(5)
        }
    }

    /// SIGTERM to every worker, then SIGKILL to those still alive after 5 s; their exits
    /// arrive as events and release the trials to pending.
    func stopAll() {
        stopping = true
        for worker in workers.values { worker.signal(SIGTERM) }
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline && workers.values.contains(where: { $0.isRunning }) { usleep(20_000) }
        for worker in workers.values { worker.signal(SIGKILL) }
    }

    func abandon() { for worker in workers.values { worker.signal(SIGKILL) } }
}

struct WorkerLaunchFailed: Error, CustomStringConvertible {
    let executable: String
    let reason: String
    var description: String { "cannot start the worker \(executable): \(reason)" }
}
