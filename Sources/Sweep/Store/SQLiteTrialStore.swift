import Foundation
import GRDB

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

    /// Raw read access for query/export, which speak SQL against the public schema.
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
                                       lr, seed, state, attempts, two_over_m)
                    VALUES (?,?,?,?,?,?,?,?,?,?,?,'pending',0,?)
                    """, arguments: [sweepID, next, trial.configHash, String(decoding: trial.config.canonicalJSON, as: UTF8.self),
                                     t.regularizer, t.loss, t.margin, t.alpha, t.lambda, t.lr, t.seed, t.margin.map { 2 / $0 }])
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
        try transition(trialID, from: [.pending], to: .running) { db in
            try db.execute(sql: """
                UPDATE trials SET state = 'running', attempts = attempts + 1, worker_pid = ?, job_id = NULL, error = NULL,
                       started_at = coalesce(started_at, ?) WHERE id = ?
                """, arguments: [workerPID, Self.now(), trialID])
        }
    }

    public func assignJob(trialID: Int64, jobID: String) throws {
        try transition(trialID, from: [.running], to: .running) { db in
            try db.execute(sql: "UPDATE trials SET job_id = ? WHERE id = ?", arguments: [jobID, trialID])
        }
    }

    public func recordEpoch(trialID: Int64, _ e: EpochRecord) throws {
        try transition(trialID, from: [.running], to: .running) { db in
            // JSONEncoder/JSONDecoder keep doubles exact (Linux's JSONSerialization does not).
            let kJSON = String(decoding: try JSONEncoder().encode(e.k), as: UTF8.self)
            try db.execute(sql: """
                INSERT INTO epochs(trial_id, epoch, d_loss, g_loss, reg_loss, raw_prd, phys_prd, lipschitz_bound,
                                   lipschitz_empirical, k_product, k_json, train_seconds, eval_seconds)
                VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)
                ON CONFLICT(trial_id, epoch) DO UPDATE SET
                    d_loss = excluded.d_loss, g_loss = excluded.g_loss, reg_loss = excluded.reg_loss,
                    raw_prd = excluded.raw_prd, phys_prd = excluded.phys_prd, lipschitz_bound = excluded.lipschitz_bound,
                    lipschitz_empirical = excluded.lipschitz_empirical, k_product = excluded.k_product,
                    k_json = excluded.k_json, train_seconds = excluded.train_seconds, eval_seconds = excluded.eval_seconds
                """, arguments: [trialID, e.epoch, e.dLoss, e.gLoss, e.regLoss, e.rawPRD, e.physPRD, e.lipschitzBound,
                                 e.lipschitzEmpirical, e.kProduct, kJSON, e.trainSeconds, e.evalSeconds])
        }
    }

    public func finish(trialID: Int64, _ outcome: TrialOutcome) throws {
        precondition([.completed, .diverged, .failed].contains(outcome.state), "finish takes an ending state")
        try transition(trialID, from: [.running], to: outcome.state) { db in
            let q = outcome.qg
            try db.execute(sql: """
                UPDATE trials SET state = ?, error = ?, finished_at = ?, worker_pid = NULL, qg = ?, qg_slope = ?, l_30 = ?,
                       two_over_l_30 = ?, lr_within_bound = ?, two_over_m = coalesce(?, two_over_m) WHERE id = ?
                """, arguments: [outcome.state.rawValue, outcome.error, Self.now(), q?.qg, q?.qgSlope, q?.l30,
                                 q?.twoOverL30, q?.lrWithinBound, q?.twoOverM, trialID])
        }
    }

    public func release(trialID: Int64, error: String?, countsAsAttempt: Bool) throws {
        try transition(trialID, from: [.running], to: .pending) { db in
            try db.execute(sql: "UPDATE trials SET state = 'pending', worker_pid = NULL, error = ?, attempts = attempts - ? WHERE id = ?",
                           arguments: [error, countsAsAttempt ? 0 : 1, trialID])
        }
    }

    public func cancel(trialID: Int64) throws {
        try transition(trialID, from: [.pending, .running], to: .cancelled) { db in
            try db.execute(sql: "UPDATE trials SET state = 'cancelled', worker_pid = NULL, finished_at = ? WHERE id = ?",
                           arguments: [Self.now(), trialID])
        }
    }

    public func requeue(trialID: Int64) throws {
        try transition(trialID, from: [.failed, .cancelled], to: .pending) { db in
            try db.execute(sql: "UPDATE trials SET state = 'pending', attempts = 0, finished_at = NULL WHERE id = ?", arguments: [trialID])
        }
    }

    public func epochs(trialID: Int64) throws -> [EpochRecord] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM epochs WHERE trial_id = ? ORDER BY epoch", arguments: [trialID]).map(Self.epoch)
        }
    }

    // MARK: helpers

    /// Checks the trial's state inside the write transaction, then applies `body`.
    private func transition(_ id: Int64, from allowed: Set<TrialState>, to target: TrialState,
                            _ body: (Database) throws -> Void) throws {
        try pool.write { db in
            guard let raw = try String.fetchOne(db, sql: "SELECT state FROM trials WHERE id = ?", arguments: [id]) else {
                throw StoreError.noSuchTrial(id)
            }
            guard let state = TrialState(rawValue: raw), allowed.contains(state) else {
                throw StoreError.invalidTransition(trial: id, from: raw, to: target.rawValue)
            }
            try body(db)
        }
    }

    static func now() -> String { ISO8601DateFormatter().string(from: Date()) }

    static func sweep(_ row: Row) -> SweepRecord {
        SweepRecord(id: row["id"], name: row["name"], specText: row["spec_text"], specHash: row["spec_hash"],
                    codeVersion: row["code_version"], createdAt: row["created_at"], executorJSON: row["executor_json"])
    }

    static func trial(_ row: Row) -> TrialRecord {
        TrialRecord(id: row["id"], sweepID: row["sweep_id"], number: row["number"], configHash: row["config_hash"],
                    paramsJSON: row["params_json"], regularizer: row["regularizer"], loss: row["loss"], margin: row["margin"],
                    alpha: row["alpha"], lambda: row["lambda"], lr: row["lr"], seed: row["seed"],
                    state: TrialState(rawValue: row["state"]) ?? .failed, attempts: row["attempts"], error: row["error"],
                    startedAt: row["started_at"], finishedAt: row["finished_at"], qg: row["qg"], qgSlope: row["qg_slope"],
                    l30: row["l_30"], twoOverL30: row["two_over_l_30"], twoOverM: row["two_over_m"],
                    lrWithinBound: row["lr_within_bound"], workerPID: row["worker_pid"], jobID: row["job_id"])
    }

    static func epoch(_ row: Row) -> EpochRecord {
        let kText: String? = row["k_json"]
        let k = kText.flatMap { try? JSONDecoder().decode([Double].self, from: Data($0.utf8)) } ?? []
        return EpochRecord(epoch: row["epoch"], dLoss: row["d_loss"], gLoss: row["g_loss"], regLoss: row["reg_loss"],
                           rawPRD: row["raw_prd"], physPRD: row["phys_prd"], lipschitzBound: row["lipschitz_bound"],
                           lipschitzEmpirical: row["lipschitz_empirical"], k: k, kProduct: row["k_product"],
                           trainSeconds: row["train_seconds"], evalSeconds: row["eval_seconds"])
    }
}
