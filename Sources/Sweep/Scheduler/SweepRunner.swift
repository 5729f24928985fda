import DurableFiles
import Foundation
import UserErrors

/// `lipsweep run`: creates the sweep or continues it, then schedules its pending trials.
public struct SweepRunner {
    public let spec: SweepSpec
    public let results: ResultsDirectory
    public var command: any WorkerKind
    public var codeVersion: String

    public init(spec: SweepSpec, results: ResultsDirectory, command: any WorkerKind = WorkerKinds.resolve(), codeVersion: String) {
        self.spec = spec; self.results = results; self.command = command; self.codeVersion = codeVersion
    }

    /// Runs the sweep with its executor. `detach` (an executor whose workers run without
    /// lipsweep attached, SLURM): submit and return at once.
    public func run(detach: Bool = false, stopRequested: @escaping () -> Bool = { StopSignals.received != nil }) throws -> SweepSummary {
        do { return try start(detach: detach, stopRequested: stopRequested) } catch {
            // A full disk before the loop (creating the sweep, its trials, the journal): the
            // same one line as during it.
            throw OutOfSpace.detect(error, fallbackPath: results.database.path) ?? error
        }
    }

    private func start(detach: Bool, stopRequested: @escaping () -> Bool) throws -> SweepSummary {
        guard let kind = ExecutorKinds.named(spec.executor.kind) else {
            throw InvalidInput("executor \(spec.executor.kind): not an executor kind; use one of \(ExecutorKinds.all.map { $0.kind.rawValue }.joined(separator: ", "))")
        }
        if detach && !kind.runsDetached {
            let detached = ExecutorKinds.detached.map(\.rawValue)
            throw InvalidInput("--detach: only the \(detached.joined(separator: " and ")) executor runs without lipsweep attached; use `--executor \(detached[0])` or `executor.kind: \(detached[0])`")
        }
        // The spec's `executor.worker` (checked when the spec was read) wins over LIPSWEEP_WORKER.
        let command: any WorkerKind = spec.executor.worker.map { UserWorkerCommand(argv: $0) } ?? self.command
        guard spec.executor.worker != nil || FileManager.default.isExecutableFile(atPath: command.executable) else {
            throw InvalidInput("\(WorkerKinds.environmentVariable)=\(command.executable): not an executable file; point it at a worker program or unset it")
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
        let search = spec.search
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
            let how = kind.describe(spec.executor)
            display.log("sweep \"\(spec.name)\": \(search.runText(plannedTrials: spec.trials.count)), \(how)")
        }
        // Stored before anything runs, so that `sync` continues with the same search and pruning.
        try store.updateSearch(sweepID: sweep.id, searchJSON: SearchKinds.json(search), pruningJSON: settingJSON(spec.pruning))
        var executor = spec.executor
        kind.resolve(&executor, results: results, sweep: spec.name)
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
        let trialExecutor = kind.make(ExecutorContext(settings: executor, results: results, sweep: spec.name, worker: command, host: ledger))
        return try SweepDriver(ledger: ledger, executor: trialExecutor, stopRequested: stopRequested, reserve: reserve,
                               databasePath: results.database.path).run(mode: detach ? .once : .untilDone)
    }

    /// Trials left `running` by a scheduler that died (kill -9, power loss) go back to
    /// pending, as each executor kind that started their workers decides. Failed and
    /// cancelled trials are given a fresh set of retries.
    private func recoverInterrupted(store: SQLiteTrialStore, stored: [TrialRecord], sweep: SweepRecord, display: ProgressDisplay) throws {
        for kind in ExecutorKinds.all { try kind.recoverInterrupted(stored, store: store, results: results, sweep: spec.name) }
        for trial in stored where trial.state == .failed || trial.state == .cancelled {
            try store.requeue(trialID: trial.id)
            display.log("#\(trial.number) \(trialLabel(trial)): \(trial.state.rawValue) before; queued again")
        }
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
