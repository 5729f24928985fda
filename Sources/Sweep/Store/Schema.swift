import GRDB

/// The versioned schema of docs/science.md §9. Table and column names are public (users run sqlite3 on
/// the file): migrations may add, never rename or drop. `schema_version` holds one row with
/// the version the last migration set.
enum Schema {
    static let version = 6

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE schema_version(version INTEGER NOT NULL);
                INSERT INTO schema_version(version) VALUES (1);
                CREATE TABLE sweeps(
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    spec_text TEXT NOT NULL,
                    spec_hash TEXT NOT NULL,
                    code_version TEXT NOT NULL,
                    created_at TEXT NOT NULL);
                CREATE TABLE trials(
                    id INTEGER PRIMARY KEY,
                    sweep_id INTEGER NOT NULL REFERENCES sweeps(id),
                    number INTEGER NOT NULL,
                    config_hash TEXT NOT NULL,
                    params_json TEXT NOT NULL,
                    regularizer TEXT NOT NULL,
                    loss TEXT NOT NULL,
                    margin REAL,
                    alpha REAL,
                    lambda REAL,
                    lr REAL NOT NULL,
                    seed INTEGER NOT NULL,
                    state TEXT NOT NULL CHECK (state IN ('pending','running','completed','failed','diverged','cancelled')),
                    attempts INTEGER NOT NULL DEFAULT 0,
                    error TEXT,
                    started_at TEXT,
                    finished_at TEXT,
                    qg REAL,
                    qg_slope REAL,
                    l_30 REAL,
                    two_over_l_30 REAL,
                    two_over_m REAL,
                    lr_within_bound INTEGER,
                    worker_pid INTEGER,
                    UNIQUE(sweep_id, config_hash),
                    UNIQUE(sweep_id, number));
                CREATE TABLE epochs(
                    trial_id INTEGER NOT NULL REFERENCES trials(id),
                    epoch INTEGER NOT NULL,
                    d_loss REAL,
                    g_loss REAL,
                    reg_loss REAL,
                    raw_prd REAL,
                    phys_prd REAL,
                    lipschitz_bound REAL,
                    lipschitz_empirical REAL,
                    k_product REAL,
                    k_json TEXT,
                    train_seconds REAL,
                    eval_seconds REAL,
                    PRIMARY KEY(trial_id, epoch));
                CREATE INDEX trials_by_state ON trials(sweep_id, state);
                """)
        }
        // v2 (SLURM executor, issue 7): the cluster job of a trial's current attempt, so that
        // `sync` and `cancel` find it, and the effective executor settings of a sweep (spec
        // plus command-line overrides), so that `sync` resubmits with the settings `run` used.
        migrator.registerMigration("v2") { db in
            try db.execute(sql: """
                ALTER TABLE trials ADD COLUMN job_id TEXT;
                ALTER TABLE sweeps ADD COLUMN executor_json TEXT;
                UPDATE schema_version SET version = 2;
                """)
        }
        // v3 (boundary search and successive halving, issue 13): the state `pruned`, which the
        // CHECK constraint of `trials.state` must list — SQLite cannot alter a constraint, so the
        // table is rebuilt with every column, in the same order, and its index (GRDB runs a
        // migration with foreign keys off and checks them before committing, so `epochs` keeps
        // pointing at the same ids); the search and pruning settings of a sweep, from which
        // `sync` rebuilds them; and the successive-halving decisions, recorded as they are made,
        // because they depend on the order in which trials reach a rung: a rerun after a crash,
        // or `sync` on another machine, reads them instead of deciding again. The column list
        // repeats v1's on purpose: a migration's SQL is frozen history, never shared with another.
        migrator.registerMigration("v3") { db in
            try db.execute(sql: """
                CREATE TABLE trials_v3(
                    id INTEGER PRIMARY KEY,
                    sweep_id INTEGER NOT NULL REFERENCES sweeps(id),
                    number INTEGER NOT NULL,
                    config_hash TEXT NOT NULL,
                    params_json TEXT NOT NULL,
                    regularizer TEXT NOT NULL,
                    loss TEXT NOT NULL,
                    margin REAL,
                    alpha REAL,
                    lambda REAL,
                    lr REAL NOT NULL,
                    seed INTEGER NOT NULL,
                    state TEXT NOT NULL CHECK (state IN ('pending','running','completed','failed','diverged','cancelled','pruned')),
                    attempts INTEGER NOT NULL DEFAULT 0,
                    error TEXT,
                    started_at TEXT,
                    finished_at TEXT,
                    qg REAL,
                    qg_slope REAL,
                    l_30 REAL,
                    two_over_l_30 REAL,
                    two_over_m REAL,
                    lr_within_bound INTEGER,
                    worker_pid INTEGER,
                    job_id TEXT,
                    UNIQUE(sweep_id, config_hash),
                    UNIQUE(sweep_id, number));
                INSERT INTO trials_v3(id, sweep_id, number, config_hash, params_json, regularizer, loss, margin, alpha, lambda,
                                      lr, seed, state, attempts, error, started_at, finished_at, qg, qg_slope, l_30,
                                      two_over_l_30, two_over_m, lr_within_bound, worker_pid, job_id)
                    SELECT id, sweep_id, number, config_hash, params_json, regularizer, loss, margin, alpha, lambda,
                           lr, seed, state, attempts, error, started_at, finished_at, qg, qg_slope, l_30,
                           two_over_l_30, two_over_m, lr_within_bound, worker_pid, job_id FROM trials;
                DROP TABLE trials;
                ALTER TABLE trials_v3 RENAME TO trials;
                CREATE INDEX trials_by_state ON trials(sweep_id, state);
                ALTER TABLE sweeps ADD COLUMN search_json TEXT;
                ALTER TABLE sweeps ADD COLUMN pruning_json TEXT;
                CREATE TABLE rung_decisions(
                    id INTEGER PRIMARY KEY,
                    sweep_id INTEGER NOT NULL REFERENCES sweeps(id),
                    trial_id INTEGER NOT NULL REFERENCES trials(id),
                    rung INTEGER NOT NULL,
                    metric TEXT NOT NULL,
                    value REAL,
                    reached INTEGER NOT NULL,
                    kept INTEGER NOT NULL,
                    decision TEXT NOT NULL CHECK (decision IN ('continue','prune')),
                    decided_at TEXT NOT NULL,
                    UNIQUE(trial_id, rung));
                UPDATE schema_version SET version = 3;
                """)
        }
        // v4 (the ResNet family, issue 14): the model family of each trial, a column users
        // filter and group by; older trials are DCGAN ones (their configs have no model.arch).
        migrator.registerMigration("v4") { db in
            try db.execute(sql: """
                ALTER TABLE trials ADD COLUMN arch TEXT NOT NULL DEFAULT 'dcgan';
                UPDATE trials SET arch = coalesce(json_extract(params_json, '$.model.arch'), 'dcgan');
                UPDATE schema_version SET version = 4;
                """)
        }
        // v5 (issue 11): the physics distances of docs/science.md §6.1 per epoch (EpochField);
        // rows of older workers, or of epochs not evaluated, keep NULL.
        migrator.registerMigration("v5") { db in
            try db.execute(sql: """
                ALTER TABLE epochs ADD COLUMN fpd REAL;
                ALTER TABLE epochs ADD COLUMN fpd_err REAL;
                ALTER TABLE epochs ADD COLUMN kpd REAL;
                ALTER TABLE epochs ADD COLUMN kpd_err REAL;
                ALTER TABLE epochs ADD COLUMN kid REAL;
                ALTER TABLE epochs ADD COLUMN w1_asym_along REAL;
                ALTER TABLE epochs ADD COLUMN w1_asym_across REAL;
                ALTER TABLE epochs ADD COLUMN w1_width_along REAL;
                ALTER TABLE epochs ADD COLUMN w1_width_across REAL;
                ALTER TABLE epochs ADD COLUMN w1_sparsity REAL;
                UPDATE schema_version SET version = 5;
                """)
        }
        // v6 (issue 11): the Appendix C histograms a completed trial's worker sends (one JSON
        // document per trial and epoch, the protocol's `histograms` line), for the report.
        migrator.registerMigration("v6") { db in
            try db.execute(sql: """
                CREATE TABLE histograms(
                    trial_id INTEGER NOT NULL REFERENCES trials(id),
                    epoch INTEGER NOT NULL,
                    json TEXT NOT NULL,
                    PRIMARY KEY(trial_id, epoch));
                UPDATE schema_version SET version = 6;
                """)
        }
        return migrator
    }
}
