import GRDB

/// The versioned schema of SPEC §9. Table and column names are public (users run sqlite3 on
/// the file): migrations may add, never rename or drop. `schema_version` holds one row with
/// the version the last migration set.
enum Schema {
    static let version = 2

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
        return migrator
    }
}
