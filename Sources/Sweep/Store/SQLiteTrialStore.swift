import Foundation
import GRDB
import TrialProtocol

/// The SQLite backend of TrialStore: one file per results directory, WAL mode (readers such
/// as `lipsweep query` never block the scheduler's writes), each call one transaction.
public final class SQLiteTrialStore: TrialStore, @unchecked Sendable {   // DatabasePool is thread-safe
    public let path: String
    let pool: DatabasePool

    /// Opens (creating and migrating when `create`) the database at `path`.
    public init(path: String, create: Bool = true) throws {
        self.path = path
        var config = Configuration()
        config.journalMode = .wal
        config.busyMode = .timeout(10)
        if create {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
        }
        pool = try DatabasePool(path: path, configuration: config)
        let found = try pool.read { db in
            try db.tableExists("schema_version") ? (try Int.fetchOne(db, sql: "SELECT max(version) FROM schema_version") ?? 0) : 0
        }
        if found > Schema.version { throw StoreError.newerSchema(found: found, known: Schema.version, path: path) }
        if create { try Schema.migrator.migrate(pool) }
    }

    /// Raw SQL read access, for tests of the public schema (the commands read through
    /// TrialStoreReader).
    public func read<T>(_ body: (Database) throws -> T) throws -> T { try pool.read(body) }

    // MARK: sweeps

    public func sweep(named name: String) throws -> SweepRecord? {
        try pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM sweeps WHERE name = ?", arguments: [name]).map(Self.sweep) }
    }

    public func sweeps() throws -> [SweepRecord] {
        try pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM sweeps ORDER BY id").map(Self.sweep) }
    }

    public func createSweep(name: String, specText: String, specHash: String, codeVersion: String) throws -> SweepRecord {
        try pool.write { db in
            try db.execute(sql: "INSERT INTO sweeps(name, spec_text, spec_hash, code_version, created_at) VALUES (?,?,?,?,?)",
                           arguments: [name, specText, specHash, codeVersion, Self.now()])
            return Self.sweep(try Row.fetchOne(db, sql: "SELECT * FROM sweeps WHERE id = ?", arguments: [db.lastInsertedRowID])!)
        }
    }

    public func updateSpec(sweepID: Int64, specText: String, specHash: String) throws {
        try pool.write { db in
            try db.execute(sql: "UPDATE sweeps SET spec_text = ?, spec_hash = ? WHERE id = ?", arguments: [specText, specHash, sweepID])
        }
    }

    public func updateExecutor(sweepID: Int64, executorJSON: String) throws {
        try pool.write { db in
            try db.execute(sql: "UPDATE sweeps SET executor_json = ? WHERE id = ?", arguments: [executorJSON, sweepID])
        }
    }

    public func updateSearch(sweepID: Int64, searchJSON: String?, pruningJSON: String?) throws {
        try pool.write { db in
            try db.execute(sql: "UPDATE sweeps SET search_json = ?, pruning_json = ? WHERE id = ?",
                           arguments: [searchJSON, pruningJSON, sweepID])
        }
    }

    // MARK: trials

    public func addTrials(sweepID: Int64, _ planned: [PlannedTrial]) throws -> Int {
        try pool.write { db in
            let existing = Set(try String.fetchAll(db, sql: "SELECT config_hash FROM trials WHERE sweep_id = ?", arguments: [sweepID]))
            var next = (try Int.fetchOne(db, sql: "SELECT max(number) FROM trials WHERE sweep_id = ?", arguments: [sweepID]) ?? -1) + 1
            var added = 0
            for trial in planned where !existing.contains(trial.configHash) {
                let t = trial.config.training
                try db.execute(sql: """
                    INSERT INTO trials(sweep_id, number, config_hash, params_json, regularizer, loss, margin, alpha, lambda,
                                       lr, seed, state, attempts, two_over_m, arch)
                    VALUES (?,?,?,?,?,?,?,?,?,?,?,'pending',0,?,?)
                    """, arguments: [sweepID, next, trial.configHash, String(decoding: trial.config.canonicalJSON, as: UTF8.self),
                                     t.regularizer.rawValue, t.loss.rawValue, t.margin, t.alpha, t.lambda, t.lr, t.seed,
                                     t.margin.map { 2 / $0 }, trial.config.model.architecture.rawValue])
                next += 1; added += 1
            }
            return added
        }
    }

    public func trials(sweepID: Int64) throws -> [TrialRecord] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM trials WHERE sweep_id = ? ORDER BY number", arguments: [sweepID]).map(Self.trial)
        }
    }

    public func trial(id: Int64) throws -> TrialRecord? {
        try pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM trials WHERE id = ?", arguments: [id]).map(Self.trial) }
    }

    public func claim(trialID: Int64, workerPID: Int32?) throws {
        try transition(trialID, to: .running, onlyFrom: .pending) { db in
            try db.execute(sql: """
                UPDATE trials SET state = 'running', attempts = attempts + 1, worker_pid = ?, job_id = NULL, error = NULL,
                       started_at = coalesce(started_at, ?) WHERE id = ?
                """, arguments: [workerPID, Self.now(), trialID])
        }
    }

    public func assignWorker(trialID: Int64, pid: Int32?, jobID: String?) throws {
        try transition(trialID, to: .running, onlyFrom: .running) { db in
            try db.execute(sql: "UPDATE trials SET worker_pid = ?, job_id = ? WHERE id = ?", arguments: [pid, jobID, trialID])
        }
    }

    /// One column per EpochField (Schema adds a column for each new field).
    private static let epochUpsertSQL: String = {
        let columns = EpochField.allCases.map(\.column) + ["k_json"]
        return """
            INSERT INTO epochs(trial_id, epoch, \(columns.joined(separator: ", ")))
            VALUES (\(Array(repeating: "?", count: columns.count + 2).joined(separator: ",")))
            ON CONFLICT(trial_id, epoch) DO UPDATE SET \(columns.map { "\($0) = excluded.\($0)" }.joined(separator: ", "))
            """
    }()

    public func recordEpoch(trialID: Int64, _ e: EpochRecord) throws {
        try transition(trialID, to: .running, onlyFrom: .running) { db in
            // JSONEncoder/JSONDecoder keep doubles exact (Linux's JSONSerialization does not).
            let kJSON = String(decoding: try JSONEncoder().encode(e.k), as: UTF8.self)
            let values: [(any DatabaseValueConvertible)?] = [trialID, e.epoch] + EpochField.allCases.map { e[$0] } + [kJSON]
            try db.execute(sql: Self.epochUpsertSQL, arguments: StatementArguments(values))
        }
    }

    public func recordHistograms(trialID: Int64, _ line: HistogramsLine) throws {
        try transition(trialID, to: .running, onlyFrom: .running) { db in
            try db.execute(sql: """
                INSERT INTO histograms(trial_id, epoch, json) VALUES (?,?,?)
                ON CONFLICT(trial_id, epoch) DO UPDATE SET json = excluded.json
                """, arguments: [trialID, line.epoch, line.json])
        }
    }

    public func histograms(trialID: Int64) throws -> HistogramsLine? {
        try pool.read { db in
            try String.fetchOne(db, sql: "SELECT json FROM histograms WHERE trial_id = ? ORDER BY epoch DESC LIMIT 1", arguments: [trialID])
        }.flatMap(HistogramsLine.parse)
    }

    public func finish(trialID: Int64, _ outcome: TrialOutcome) throws {
        precondition(outcome.state.isEnding, "finish takes an ending state")
        try transition(trialID, to: outcome.state, onlyFrom: .running) { db in try Self.end(db, trialID: trialID, outcome) }
    }

    /// The ending of a trial with its outcome (finish, or a prune decision).
    private static func end(_ db: Database, trialID: Int64, _ outcome: TrialOutcome) throws {
        let q = outcome.qg
        try db.execute(sql: """
            UPDATE trials SET state = ?, error = ?, finished_at = ?, worker_pid = NULL, qg = ?, qg_slope = ?, l_30 = ?,
                   two_over_l_30 = ?, lr_within_bound = ?, two_over_m = coalesce(?, two_over_m) WHERE id = ?
            """, arguments: [outcome.state.rawValue, outcome.error, now(), q?.qg, q?.qgSlope, q?.l30,
                             q?.twoOverL30, q?.lrWithinBound, q?.twoOverM, trialID])
    }

    public func release(trialID: Int64, error: String?, countsAsAttempt: Bool) throws {
        try transition(trialID, to: .pending, onlyFrom: .running) { db in
            try db.execute(sql: "UPDATE trials SET state = 'pending', worker_pid = NULL, error = ?, attempts = attempts - ? WHERE id = ?",
                           arguments: [error, countsAsAttempt ? 0 : 1, trialID])
        }
    }

    public func cancel(trialID: Int64) throws {
        try transition(trialID, to: .cancelled) { db in
            try db.execute(sql: "UPDATE trials SET state = 'cancelled', worker_pid = NULL, finished_at = ? WHERE id = ?",
                           arguments: [Self.now(), trialID])
        }
    }

    public func requeue(trialID: Int64) throws {
        try transition(trialID, to: .pending, onlyFrom: .failed, .cancelled) { db in
            try db.execute(sql: "UPDATE trials SET state = 'pending', attempts = 0, finished_at = NULL WHERE id = ?", arguments: [trialID])
        }
    }

    public func recordRungDecision(_ d: RungDecision, pruned: TrialOutcome?) throws {
        precondition((d.verdict == .prune) == (pruned != nil) && (pruned.map { $0.state == .pruned } ?? true),
                     "a prune decision comes with its pruned outcome, a continue decision with none")
        // A continue leaves the trial as it is: running, or pending while it waits at the rung.
        let target = pruned == nil ? (try trial(id: d.trialID)?.state ?? .running) : .pruned
        try transition(d.trialID, to: target, onlyFrom: .running, .pending) { db in
            let exists = try Bool.fetchOne(db, sql: "SELECT 1 FROM rung_decisions WHERE trial_id = ? AND rung = ?",
                                           arguments: [d.trialID, d.rung]) ?? false
            if exists { throw StoreError.duplicateDecision(trial: d.trialID, rung: d.rung) }
            try db.execute(sql: """
                INSERT INTO rung_decisions(sweep_id, trial_id, rung, metric, value, reached, kept, decision, decided_at)
                SELECT sweep_id, id, ?, ?, ?, ?, ?, ?, ? FROM trials WHERE id = ?
                """, arguments: [d.rung, d.metric, d.value, d.reached, d.kept, d.verdict.rawValue, Self.now(), d.trialID])
            if let outcome = pruned { try Self.end(db, trialID: d.trialID, outcome) }
        }
    }

    public func rungDecisions(sweepID: Int64) throws -> [RungDecision] {
        try pool.read { db in
            // A database of schema v2 opened for reading has no decisions yet.
            guard try db.tableExists("rung_decisions") else { return [] }
            return try Row.fetchAll(db, sql: "SELECT * FROM rung_decisions WHERE sweep_id = ? ORDER BY id", arguments: [sweepID]).map { row in
                let text: String = row["decision"]
                guard let verdict = RungDecision.Verdict(rawValue: text) else {
                    throw StoreError.unknownValue(trial: row["trial_id"], column: "rung_decisions.decision", value: text)
                }
                return RungDecision(trialID: row["trial_id"], rung: row["rung"], metric: row["metric"], value: row["value"],
                                    reached: row["reached"], kept: row["kept"], verdict: verdict, sequence: row["id"])
            }
        }
    }

    public func epochs(trialID: Int64) throws -> [EpochRecord] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM epochs WHERE trial_id = ? ORDER BY epoch", arguments: [trialID]).map(Self.epoch)
        }
    }

    public func epochs(sweepID: Int64) throws -> [Int64: [EpochRecord]] {
        try pool.read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT e.* FROM epochs e JOIN trials t ON t.id = e.trial_id WHERE t.sweep_id = ? ORDER BY e.trial_id, e.epoch
                """, arguments: [sweepID])
            var out: [Int64: [EpochRecord]] = [:]
            for row in rows { out[row["trial_id"], default: []].append(Self.epoch(row)) }
            return out
        }
    }

    // MARK: helpers

    /// Checks inside the write transaction that the trial may move to `target`
    /// (`TrialState.canMove`, narrowed to `onlyFrom` when given), then applies `body`.
    private func transition(_ id: Int64, to target: TrialState, onlyFrom: TrialState...,
                            body: (Database) throws -> Void) throws {
        try pool.write { db in
            guard let raw = try String.fetchOne(db, sql: "SELECT state FROM trials WHERE id = ?", arguments: [id]) else {
                throw StoreError.noSuchTrial(id)
            }
            guard let state = TrialState(rawValue: raw) else { throw StoreError.unknownValue(trial: id, column: "state", value: raw) }
            guard state.canMove(to: target), onlyFrom.isEmpty || onlyFrom.contains(state) else {
                throw StoreError.invalidTransition(trial: id, from: raw, to: target.rawValue)
            }
            try body(db)
        }
    }

    static func now() -> String { ISO8601DateFormatter().string(from: Date()) }

    static func sweep(_ row: Row) -> SweepRecord {
        SweepRecord(id: row["id"], name: row["name"], specText: row["spec_text"], specHash: row["spec_hash"],
                    codeVersion: row["code_version"], createdAt: row["created_at"], executorJSON: row["executor_json"],
                    searchJSON: row["search_json"], pruningJSON: row["pruning_json"])
    }

    static func trial(_ row: Row) throws -> TrialRecord {
        let id: Int64 = row["id"]
        let stateText: String = row["state"]
        guard let state = TrialState(rawValue: stateText) else {
            throw StoreError.unknownValue(trial: id, column: "state", value: stateText)
        }
        let params: String = row["params_json"]
        let config: TrialConfig
        do { config = try JSONDecoder().decode(TrialConfig.self, from: Data(params.utf8)) } catch {
            throw StoreError.unknownValue(trial: id, column: "params_json", value: String(params.prefix(200)))
        }
        return TrialRecord(id: id, sweepID: row["sweep_id"], number: row["number"], configHash: row["config_hash"], config: config,
                           state: state, attempts: row["attempts"], error: row["error"],
                           startedAt: row["started_at"], finishedAt: row["finished_at"], qg: row["qg"], qgSlope: row["qg_slope"],
                           l30: row["l_30"], twoOverL30: row["two_over_l_30"], twoOverM: row["two_over_m"],
                           lrWithinBound: row["lr_within_bound"], workerPID: row["worker_pid"], jobID: row["job_id"])
    }

    static func epoch(_ row: Row) -> EpochRecord {
        let kText: String? = row["k_json"]
        let k = kText.flatMap { try? JSONDecoder().decode([Double].self, from: Data($0.utf8)) } ?? []
        var record = EpochRecord(epoch: row["epoch"], k: k)
        for field in EpochField.allCases { record[field] = row[field.column] }
        return record
    }
}
