import DurableFiles
import Foundation
import UserErrors

/// `lipsweep run`: creates the sweep or continues it, then schedules its pending trials.
public struct SweepRunner {
    public let spec: SweepSpec
    public let results: ResultsDirectory
    public var command: WorkerCommand
    public var codeVersion: String

    public init(spec: SweepSpec, results: ResultsDirectory, command: WorkerCommand = .resolve(), codeVersion: String) {
        self.spec = spec; self.results = results; self.command = command; self.codeVersion = codeVersion
    }

    /// Runs the sweep with its executor. `detach` (SLURM only): submit and return at once.
    public func run(detach: Bool = false, stopRequested: @escaping () -> Bool = { StopSignals.received != nil }) throws -> SweepSummary {
        do { return try start(detach: detach, stopRequested: stopRequested) } catch {
            // A full disk before the loop (creating the sweep, its trials, the journal): the
            // same one line as during it.
            throw OutOfSpace.detect(error, fallbackPath: results.database.path) ?? error
        }
    }

    private func start(detach: Bool, stopRequested: @escaping () -> Bool) throws -> SweepSummary {
        let slurm = spec.executor.kind == .slurm
        if detach && !slurm {
            throw InvalidInput("--detach: only the SLURM executor runs without lipsweep attached; use `--executor slurm` or `executor.kind: slurm`")
        }
        // The spec's `executor.worker` (checked when the spec was read) wins over LIPSWEEP_WORKER.
        let command = spec.executor.worker.map(WorkerCommand.init(argv:)) ?? self.command
        guard spec.executor.worker != nil || FileManager.default.isExecutableFile(atPath: command.executable) else {
            throw InvalidInput("\(WorkerCommand.environmentVariable)=\(command.executable): not an executable file; point it at a worker program or unset it")
        }
        // Refuse a changed spec before writing anything.
        try FileManager.default.createDirectory(at: results.url, withIntermediateDirectories: true)
        let lock = try DirectoryLock(results.lockFile)
        defer { withExtendedLifetime(lock) {} }
        // Room for the writes that stop a sweep when the disk fills; none to spare: stop now.
        let reserve = SpaceReserve(results: results)
        try reserve.claim()
        let store = try SQLiteTrialStore(path: results.database.path)
        let display = ProgressDisplay()
        // A grid's trials are known now; a boundary search adds its own as it goes.
        let search: any SearchStrategy = spec.search.boundary ?? GridSearch(planned: spec.trials)
        let sweep: SweepRecord
        var finishedBefore: Int?
        if let existing = try store.sweep(named: spec.name) {
            let stored = try store.trials(sweepID: existing.id)
            try SpecChange.refuseAlteredTrials(stored: stored, covered: search.covers, planned: spec.trials, spec: spec,
                                               database: results.database.path)
            // Keep the spec last run (new grid points, another executor) for the report.
            if existing.specHash != spec.specHash { try store.updateSpec(sweepID: existing.id, specText: spec.text, specHash: spec.specHash) }
            sweep = existing
            try recoverInterrupted(store: store, stored: stored, sweep: existing, display: display)
            finishedBefore = stored.filter { $0.state.isFinished }.count
        } else {
            sweep = try store.createSweep(name: spec.name, specText: spec.text, specHash: spec.specHash, codeVersion: codeVersion)
            let how = slurm ? "on SLURM, \(spec.executor.threads) thread(s) per task"
                            : "\(spec.executor.workers) worker(s) × \(spec.executor.threads) thread(s)"
            let what = spec.search.boundary.map { "\(spec.trials.count) initial trial(s) of a boundary search (at most \($0.maxTrials))" }
                ?? "\(spec.trials.count) trial(s)"
            display.log("sweep \"\(spec.name)\": \(what), \(how)")
        }
        // Stored before anything runs, so that `sync` continues with the same search and pruning.
        try store.updateSearch(sweepID: sweep.id, searchJSON: settingJSON(spec.search.boundary), pruningJSON: settingJSON(spec.pruning))
        var executor = spec.executor
        if slurm {
            // The spool is remembered as an absolute path, so `sync` from any directory finds it.
            executor.slurm.spool = Spool.directory(results: results, sweep: spec.name, override: executor.slurm.spool).path
        }
        try store.updateExecutor(sweepID: sweep.id, executorJSON: String(decoding: try JSONEncoder().encode(executor), as: UTF8.self))
        let ledger = TrialLedger(store: store, sweep: sweep, executor: executor, display: display,
                                 search: search, pruner: spec.pruning.map { SuccessiveHalving(settings: $0) })
        try ledger.reload()
        let added = try ledger.extendSearch()
        // Opened once every trial is in the store: it appends what an interrupted run stored
        // but did not write, then follows every write of this run.
        if let journal = try executor.output.openJournal(sweep: sweep, store: store) {
            ledger.observers.append(journal)
            display.log("live Optuna journal: \(executor.output.optunaJournal!) (optuna-dashboard \(executor.output.optunaJournal!))")
        }
        if let finishedBefore {
            display.log("continuing sweep \"\(spec.name)\": \(finishedBefore) finished trial(s) kept, \(added) new trial(s) added")
        }
        let trialExecutor: any TrialExecutor = switch executor.kind {
        case .slurm: SlurmExecutor.make(ledger: ledger, settings: executor)
        case .local: LocalExecutor(settings: executor, checkpoints: results.checkpoints(sweep: spec.name), command: command)
        }
        return try SweepDriver(ledger: ledger, executor: trialExecutor, stopRequested: stopRequested, reserve: reserve,
                               databasePath: results.database.path).run(mode: detach ? .once : .untilDone)
    }

    /// Trials left `running` by a scheduler that died (kill -9, power loss) go back to
    /// pending; a worker it left behind is killed first, so two workers never share a
    /// checkpoint directory. Failed and cancelled trials are given a fresh set of retries.
    private func recoverInterrupted(store: SQLiteTrialStore, stored: [TrialRecord], sweep: SweepRecord, display: ProgressDisplay) throws {
        let checkpoints = results.checkpoints(sweep: spec.name)
        // A running trial with a SLURM job is the cluster's: `sync`/the SLURM scheduler follows it.
        for trial in stored where trial.state == .running && trial.jobID == nil {
            let directory = LocalExecutor.trialDirectory(checkpoints, trial).path
            if let pid = trial.workerPID, Self.isOurWorker(pid: pid, directory: directory) {
                kill(pid, SIGKILL)
                while kill(pid, 0) == 0 && Self.isOurWorker(pid: pid, directory: directory) { usleep(10_000) }
            }
            try store.release(trialID: trial.id, error: nil, countsAsAttempt: false)
        }
        for trial in stored where trial.state == .failed || trial.state == .cancelled {
            try store.requeue(trialID: trial.id)
            display.log("#\(trial.number) \(trialLabel(trial)): \(trial.state.rawValue) before; queued again")
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
}

/// The refusal of a rerun whose spec would change trials already in the database.
enum SpecChange {
    /// `covered`: whether the spec's search would run a stored trial (a grid: it is planned; a
    /// boundary search: it is a point of one of its combinations, seeds and range).
    static func refuseAlteredTrials(stored: [TrialRecord], covered: (TrialRecord) -> Bool, planned: [PlannedTrial], spec: SweepSpec,
                                    database: String) throws {
        let missing = stored.filter { !covered($0) }
        guard let example = missing.first else { return }
        let old = flatten(example.paramsJSON)
        // The planned trial closest to the missing one shows what changed.
        let closest = planned.map { flatten(String(decoding: $0.config.canonicalJSON, as: UTF8.self)) }
            .min { differences(old, $0).count < differences(old, $1).count }
        let changes = closest.map { new in
            differences(old, new).prefix(4).map { "\($0): \(old[$0] ?? "absent") → \(new[$0] ?? "absent")" }.joined(separator: ", ")
        } ?? ""
        throw SpecError(file: spec.file, line: nil, keyPath: "",
                        problem: "this spec changes or removes \(missing.count) of the \(stored.count) trials already in sweep \"\(spec.name)\" (\(database)); e.g. trial #\(example.number): \(changes)",
                        fix: "restore those values (adding grid points is fine), or give the sweep a new `name:` or another --results directory")
    }

    /// "training.lr" → "0.001" for every leaf of a JSON object.
    static func flatten(_ json: String) -> [String: String] {
        var out: [String: String] = [:]
        func walk(_ value: Any, _ path: String) {
            if let object = value as? [String: Any] {
                for (k, v) in object { walk(v, path.isEmpty ? k : "\(path).\(k)") }
            } else {
                out[path] = "\(value)"
            }
        }
        if let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) { walk(object, "") }
        return out
    }

    static func differences(_ a: [String: String], _ b: [String: String]) -> [String] {
        Set(a.keys).union(b.keys).filter { a[$0] != b[$0] }.sorted()
    }
}
