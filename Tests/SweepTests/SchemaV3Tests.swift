import Foundation
import GRDB
import Sweep
import Testing
import TrialProtocol

/// Schema v3 (issue 13) rebuilds `trials` to let its state CHECK accept `pruned`: a database
/// written by the version-2 lipsweep opens with every row, column and index as it was.
@Suite struct SchemaV3Tests {
    /// The tables as schema v1 created them and v2 (the SLURM executor) altered them, with
    /// GRDB's record of the migrations applied.
    static let version2SQL = """
        CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
        INSERT INTO grdb_migrations VALUES ('v1'), ('v2');
        CREATE TABLE schema_version(version INTEGER NOT NULL);
        INSERT INTO schema_version(version) VALUES (2);
        CREATE TABLE sweeps(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, spec_text TEXT NOT NULL, spec_hash TEXT NOT NULL,
                            code_version TEXT NOT NULL, created_at TEXT NOT NULL);
        CREATE TABLE trials(
            id INTEGER PRIMARY KEY, sweep_id INTEGER NOT NULL REFERENCES sweeps(id), number INTEGER NOT NULL,
            config_hash TEXT NOT NULL, params_json TEXT NOT NULL, regularizer TEXT NOT NULL, loss TEXT NOT NULL,
            margin REAL, alpha REAL, lambda REAL, lr REAL NOT NULL, seed INTEGER NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('pending','running','completed','failed','diverged','cancelled')),
            attempts INTEGER NOT NULL DEFAULT 0, error TEXT, started_at TEXT, finished_at TEXT, qg REAL, qg_slope REAL,
            l_30 REAL, two_over_l_30 REAL, two_over_m REAL, lr_within_bound INTEGER, worker_pid INTEGER,
            UNIQUE(sweep_id, config_hash), UNIQUE(sweep_id, number));
        CREATE TABLE epochs(
            trial_id INTEGER NOT NULL REFERENCES trials(id), epoch INTEGER NOT NULL, d_loss REAL, g_loss REAL, reg_loss REAL,
            raw_prd REAL, phys_prd REAL, lipschitz_bound REAL, lipschitz_empirical REAL, k_product REAL, k_json TEXT,
            train_seconds REAL, eval_seconds REAL, PRIMARY KEY(trial_id, epoch));
        CREATE INDEX trials_by_state ON trials(sweep_id, state);
        ALTER TABLE trials ADD COLUMN job_id TEXT;
        ALTER TABLE sweeps ADD COLUMN executor_json TEXT;
        """

    @Test func version2DatabaseKeepsEveryRowAndAcceptsPruned() throws {
        let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("v2-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("lipsweep.db").path
        // A v2 database with a trial in every state of the time, a SLURM job, epochs.
        let planned = try SweepSpec.parse(text: "grid: {regularizer: [sn, hinge], lr: [1e-3, 3e-3, 1e-2]}\ntraining: {epochs: 3}\nqg: {epochs: 3}",
                                          file: "t.yaml", baseDirectory: URL(fileURLWithPath: "/")).trials
        let old = try DatabaseQueue(path: path)
        try old.write { db in
            try db.execute(sql: Self.version2SQL)
            try db.execute(sql: "INSERT INTO sweeps VALUES (1, 's', 'spec', 'h', '0.1.0', '2026-12-01T00:00:00Z', '{\"kind\":\"slurm\"}')")
            let states = ["pending", "running", "completed", "failed", "diverged", "cancelled"]
            for (i, (trial, state)) in zip(planned, states).enumerated() {
                var config = trial.config
                if i == 0 { config.model.arch = .resnet }   // v4 fills trials.arch from params_json
                let t = config.training
                try db.execute(sql: """
                    INSERT INTO trials(id, sweep_id, number, config_hash, params_json, regularizer, loss, margin, alpha, lambda, lr, seed,
                                       state, attempts, error, started_at, qg, l_30, lr_within_bound, worker_pid, job_id)
                    VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [i + 1, i, config.configHash, String(decoding: config.canonicalJSON, as: UTF8.self),
                                     t.regularizer.rawValue, t.loss.rawValue, t.margin, t.alpha, t.lr, t.seed, state, i,
                                     state == "failed" ? "boom" : nil, "2026-12-01T00:00:0\(i)Z", state == "completed" ? 0.01 : nil,
                                     state == "completed" ? 1.1 : nil, state == "completed" ? 1 : nil, state == "running" ? 4242 : nil,
                                     state == "running" ? "7_1" : nil])
                for epoch in 1...2 { try db.execute(sql: "INSERT INTO epochs(trial_id, epoch, phys_prd, k_json) VALUES (?, ?, ?, '[1]')",
                                                    arguments: [i + 1, epoch, 0.1 * Double(epoch)]) }
            }
        }
        let rowsBefore = try old.read { db in try Row.fetchAll(db, sql: "SELECT * FROM trials ORDER BY id").map(\.description) }
        let epochsBefore = try old.read { db in try Row.fetchAll(db, sql: "SELECT * FROM epochs ORDER BY trial_id, epoch").map(\.description) }
        let epochColumnsBefore = try old.read { db in try db.columns(in: "epochs").map(\.name) }
        let columnsBefore = try old.read { db in try db.columns(in: "trials").map(\.name) }
        try old.close()

        let store = try SQLiteTrialStore(path: path)
        struct After { var version: Int?; var columns: [String]; var rows: [String]; var epochs: [String]; var indexed: Bool
                       var foreignKeyProblems: Int; var decisionsTable: Bool }
        let after = try store.read { db in
            After(version: try Int.fetchOne(db, sql: "SELECT version FROM schema_version"),
                  columns: try db.columns(in: "trials").map(\.name),
                  // Column by column in v2's order (v2's ALTER had put job_id last, where v3's CREATE has it).
                  rows: try Row.fetchAll(db, sql: "SELECT \(columnsBefore.joined(separator: ", ")) FROM trials ORDER BY id").map(\.description),
                  // v2's epoch columns (v4 adds the physics distances, NULL here).
                  epochs: try Row.fetchAll(db, sql: "SELECT \(epochColumnsBefore.joined(separator: ", ")) FROM epochs ORDER BY trial_id, epoch")
                      .map(\.description),
                  indexed: try db.indexes(on: "trials").contains { $0.name == "trials_by_state" && $0.columns == ["sweep_id", "state"] },
                  foreignKeyProblems: try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").count,
                  decisionsTable: try db.tableExists("rung_decisions"))
        }
        #expect(after.version == 6)  // v3, v4 (arch), v5 (the physics distances' epoch columns), v6 (histograms)
        #expect(after.columns == columnsBefore + ["arch"])
        #expect(try store.read { db in try String.fetchAll(db, sql: "SELECT arch FROM trials ORDER BY id") }
                == ["resnet", "dcgan", "dcgan", "dcgan", "dcgan", "dcgan"])
        #expect(after.rows == rowsBefore)
        #expect(after.epochs == epochsBefore)
        #expect(after.indexed && after.foreignKeyProblems == 0 && after.decisionsTable)
        #expect(try store.sweep(named: "s")?.executorJSON == "{\"kind\":\"slurm\"}")
        let trials = try store.trials(sweepID: 1)
        #expect(trials.map(\.state) == [.pending, .running, .completed, .failed, .diverged, .cancelled])
        #expect(trials[1].jobID == "7_1" && trials[1].workerPID == 4242 && trials[2].qg == 0.01)
        // The rebuilt CHECK takes `pruned`, and still refuses a state it does not know.
        let running = trials[1]
        try store.recordRungDecision(RungDecision(trialID: running.id, rung: 2, metric: "best_prd", value: 0.2, reached: 2, kept: 1,
                                                  verdict: .prune), pruned: TrialOutcome(state: .pruned))
        #expect(try store.trial(id: running.id)?.state == .pruned)
        #expect(try store.epochs(trialID: running.id).count == 2)
        let raw = try DatabaseQueue(path: path)
        #expect(throws: (any Error).self) { try raw.write { db in try db.execute(sql: "UPDATE trials SET state = 'paused' WHERE id = 1") } }
        // Reopening migrates nothing twice.
        _ = try SQLiteTrialStore(path: path)
    }
}
