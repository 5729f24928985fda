import Foundation
import GRDB

/// Helpers for the sweep tests: the scripted worker, scratch results directories, specs
/// written on the fly, and direct reads of the database.
enum Sweeps {
    static var fakeWorker: String { Repo.path("Tests/scripts/fake-worker.py") }

    static func env(_ extra: [String: String] = [:]) -> [String: String] {
        ["LIPSWEEP_WORKER": fakeWorker, "FAKE_EPOCH_SECONDS": "0.02"].merging(extra) { $1 }
    }

    /// Runs `lipsweep ARGS` with the scripted worker.
    @discardableResult
    static func lipsweep(_ args: [String], env extra: [String: String] = [:]) throws -> Binary.Result {
        try Binary.run(args, environment: env(extra))
    }

    /// Starts `lipsweep ARGS` in the background (for kill tests); output goes to /dev/null.
    static func start(_ args: [String], env extra: [String: String] = [:]) throws -> Process {
        let p = Process()
        p.executableURL = Binary.lipsweep
        p.arguments = args
        p.environment = ProcessInfo.processInfo.environment.merging(env(extra)) { $1 }
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    /// A scratch directory holding the smoke spec, and the results directory to use.
    static func smokeSetup(_ name: String) throws -> (dir: URL, results: URL, spec: String) {
        let dir = Repo.scratch(name)
        return (dir, dir.appendingPathComponent("results"), try writeSpec(smokeSpec, in: dir))
    }

    static func writeSpec(_ text: String, in dir: URL, name: String = "spec.yaml") throws -> String {
        let path = dir.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Runs `spec` to the end with the scripted worker in a fresh scratch directory named `name`
    /// and returns its results directory (the shared finished sweep of a read-only suite).
    static func finished(_ name: String, spec: String, env: [String: String] = [:]) -> URL {
        let dir = Repo.scratch(name)
        let results = dir.appendingPathComponent("results")
        let specPath = try! writeSpec(spec, in: dir)
        let r = try! lipsweep(["run", specPath, "--results", results.path], env: env)
        precondition(r.status == 0, r.stderr)
        return results
    }

    /// Tiny data and 3 epochs with a 3-epoch QG window: the part every test spec shares.
    static let tinyHeader = """
        dataset: {train: 64, test: 32}
        training: {epochs: 3}
        evaluation: {clusters: 4, prd_runs: 1}
        qg: {epochs: 3}
        """

    static let smokeSpec = "name: t\n" + tinyHeader + "\n" + """
        grid:
          regularizer: [sn, hinge]
          margin: [2]
          lr: [1e-3, 3e-3]
        seeds: [1]
        executor: {workers: 2, retries: 2, backoff_seconds: 0.1}
        """

    static func database(_ results: URL) throws -> DatabaseQueue {
        // Wait rather than fail when another connection holds a lock briefly (e.g. the last
        // connection of a finished run checkpointing the WAL as it closes).
        var config = Configuration()
        config.busyMode = .timeout(10)
        return try DatabaseQueue(path: results.appendingPathComponent("lipsweep.db").path, configuration: config)
    }

    /// Every stored epoch with its trial's config hash, in a fixed order: what two runs of the
    /// same spec must agree on.
    /// `timings: false` leaves out train_seconds and eval_seconds, which a real trainer
    /// measures and which therefore differ between two runs of the same spec.
    static func epochRows(_ results: URL, timings: Bool = true) throws -> [String] {
        try database(results).read { db in
            try Row.fetchAll(db, sql: """
                SELECT t.config_hash, e.epoch, e.d_loss, e.g_loss, e.reg_loss, e.raw_prd, e.phys_prd, e.lipschitz_bound,
                       e.lipschitz_empirical, e.k_product, e.k_json\(timings ? ", e.train_seconds, e.eval_seconds" : "")
                FROM epochs e JOIN trials t ON t.id = e.trial_id ORDER BY t.config_hash, e.epoch
                """).map { $0.description }
        }
    }

    /// Each trial's outcome (not its attempts or timestamps).
    static func trialRows(_ results: URL) throws -> [String] {
        try database(results).read { db in
            try Row.fetchAll(db, sql: """
                SELECT config_hash, number, state, qg, qg_slope, l_30, two_over_l_30, two_over_m, lr_within_bound
                FROM trials ORDER BY config_hash
                """).map { $0.description }
        }
    }

    static func count(_ results: URL, _ sql: String) throws -> Int {
        try database(results).read { db in try Int.fetchOne(db, sql: sql) ?? -1 }
    }
}
