import Foundation
import GRDB
import Testing

/// A trainer of the user's own under lipsweep (`executor.worker`, python/lipsweep_worker,
/// README "Your own trainer"): the kit with a scripted numpy trainer (Tests/scripts/kit-trainer.py)
/// and the PyTorch example (examples/torch_dcgan.py), scored by `lipsweep score`.
/// Skipped, with the reason, when python3 lacks numpy (and the example when it lacks torch).
@Suite(.serialized) struct WorkerKitTests {
    static let skipReason: Comment = "python3 lacks numpy (python3 -c 'import numpy' failed): `make deps` installs it as root"
    static let numpyAvailable: Bool = (try? python(["-c", "import numpy"]).status) == 0
    static let torchReason: Comment = "PyTorch is missing (python3 -c 'import torch' failed): `make deps` installs it as root"
    static let torchAvailable: Bool = (try? python(["-c", "import torch, numpy"]).status) == 0

    /// `python3 args…` through TestSupport's Child (files, not pipes; a deadline).
    static func python(_ args: [String]) throws -> Binary.Result {
        try Child.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3"] + args, timeout: 120)
    }

    /// The kit from the repository, as `pip install -e python/` would provide it.
    static var env: [String: String] { ["PYTHONPATH": Repo.path("python")] }

    /// A spec running kit-trainer.py, copied next to it and named relatively (the path resolves
    /// against the spec's directory).
    static func spec(name: String, epochs: Int = 3, retries: Int = 0) -> String {
        """
        name: \(name)
        dataset: {train: 64, test: 32}
        training: {epochs: \(epochs)}
        evaluation: {clusters: 4, prd_runs: 1}
        qg: {epochs: 3}
        grid:
          regularizer: [sn]
          lr: [1e-3]
        seeds: [1, 2]
        executor: {workers: 2, retries: \(retries), backoff_seconds: 0.1, worker: [python3, kit-trainer.py]}
        """
    }

    static func setUp(_ name: String, epochs: Int = 3, retries: Int = 0) throws -> (dir: URL, results: URL, spec: String) {
        let dir = Repo.scratch(name)
        try FileManager.default.copyItem(atPath: Repo.path("Tests/scripts/kit-trainer.py"),
                                         toPath: dir.appendingPathComponent("kit-trainer.py").path)
        let spec = try Sweeps.writeSpec(Self.spec(name: "kit", epochs: epochs, retries: retries), in: dir)
        return (dir, dir.appendingPathComponent("results"), spec)
    }

    /// lipsweep's metrics of every stored epoch (no timings).
    static func metricRows(_ results: URL) throws -> [String] {
        try Sweeps.database(results).read { db in
            try Row.fetchAll(db, sql: """
                SELECT t.config_hash, e.epoch, e.d_loss, e.g_loss, e.raw_prd, e.phys_prd, e.fpd, e.fpd_err, e.kpd, e.kpd_err, e.kid,
                       e.w1_asym_along, e.w1_asym_across, e.w1_width_along, e.w1_width_across, e.w1_sparsity,
                       e.lipschitz_bound, e.k_product, e.k_json
                FROM epochs e JOIN trials t ON t.id = e.trial_id ORDER BY t.config_hash, e.epoch
                """).map { $0.description }
        }
    }

    static func run(_ spec: String, _ results: URL, env extra: [String: String] = [:]) throws -> Binary.Result {
        try Binary.run(["run", spec, "--results", results.path], environment: env.merging(extra) { $1 }, unsetting: ["LIPSWEEP_WORKER"])
    }

    @Test(.enabled(if: numpyAvailable, skipReason))
    func kitSweepStoresLipsweepsScoresAndEvaluateGivesTheSameNumbers() throws {
        let (_, results, spec) = try Self.setUp("kit-scores")
        let r = try Self.run(spec, results, env: ["KIT_KEEP": "1"])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(try Sweeps.count(results, "SELECT count(*) FROM trials WHERE state = 'completed'") == 2)
        #expect(try Sweeps.count(results, """
            SELECT count(*) FROM epochs WHERE raw_prd IS NOT NULL AND phys_prd IS NOT NULL AND fpd IS NOT NULL AND kpd IS NOT NULL
              AND kid IS NOT NULL AND w1_asym_along IS NOT NULL AND w1_sparsity IS NOT NULL AND eval_seconds IS NOT NULL
            """) == 6)
        // The histograms line of the last epoch, and QG computed by the scheduler from the stored PRDs.
        #expect(try Sweeps.count(results, "SELECT count(*) FROM histograms WHERE epoch = 3") == 2)
        #expect(try Sweeps.count(results, "SELECT count(*) FROM trials WHERE qg IS NOT NULL") == 2)

        // One trial's events, scored again by `lipsweep evaluate` with the seeds of `lipsweep score`.
        let (number, hash) = try #require(try Sweeps.database(results).read { db in
            try Row.fetchOne(db, sql: "SELECT number, config_hash FROM trials ORDER BY number LIMIT 1").map { ($0[0] as Int, $0[1] as String) }
        })
        let trialDir = results.appendingPathComponent("checkpoints/kit/" + String(format: "%04d-", number) + hash.prefix(12))
        let config = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: trialDir.appendingPathComponent("trial.json")))
            as? [String: Any])
        let trialSeed = try #require((config["training"] as? [String: Any])?["seed"] as? Int)
        let data = trialDir.appendingPathComponent("again")
        let d = try Binary.run(["data", "--config", trialDir.appendingPathComponent("trial.json").path, "--output", data.path])
        #expect(d.status == 0, "\(d.stderr)")
        let test = data.appendingPathComponent("test.npz").path
        for epoch in 1...3 {
            let seed = UInt64(trialSeed) &* 0x9E37_79B9 &+ UInt64(epoch)
            let generated = trialDir.appendingPathComponent("generated-\(epoch).npz").path
            func evaluate(_ metrics: String, seed: UInt64) throws -> [String: String] {
                let e = try Binary.run(["evaluate", "--real", test, "--generated", generated, "--clusters", "4", "--runs", "1",
                                        "--seed", "\(seed)", "--metrics", metrics])
                #expect(e.status == 0, "\(e.stderr)")
                return Dictionary(e.stdout.split(separator: "\n").compactMap { line in
                    line.firstIndex(of: ":").map { (String(line[..<$0]), String(line[line.index($0, offsetBy: 2)...])) }
                }, uniquingKeysWith: { a, _ in a })
            }
            let stored = try #require(try Sweeps.database(results).read { db in
                try Row.fetchOne(db, sql: """
                    SELECT raw_prd, phys_prd, fpd, kpd, kid, w1_asym_along, w1_sparsity FROM epochs e JOIN trials t ON t.id = e.trial_id
                    WHERE t.config_hash = ? AND e.epoch = ?
                    """, arguments: [hash, epoch])
            })
            let raw = try evaluate("prd", seed: seed &* 2), physical = try evaluate("prd", seed: seed &* 2 &+ 1)
            let distances = try evaluate("fpd,kpd,kid,w1", seed: seed)
            #expect(raw["RAW PRD"] == String(format: "%.6f", stored[0] as Double), "epoch \(epoch)")
            #expect(physical["Physical PRD"] == String(format: "%.6f", stored[1] as Double), "epoch \(epoch)")
            for (i, key) in [(2, "FPD"), (3, "KPD"), (4, "KID")] {
                #expect(distances[key]?.split(separator: " ").first.map(String.init) == String(format: "%.6g", stored[i] as Double),
                        "epoch \(epoch) \(key): \(distances[key] ?? "missing")")
            }
            #expect(distances["W1 asym_along"] == String(format: "%.6g", stored[5] as Double))
            #expect(distances["W1 sparsity"] == String(format: "%.6g", stored[6] as Double))
        }
        // The kit removed the events it asked for when the trial ended; the script's prints went to the log.
        #expect(!FileManager.default.fileExists(atPath: trialDir.appendingPathComponent("lipsweep-data").path))
        let log = try String(contentsOf: trialDir.appendingPathComponent("worker.log"), encoding: .utf8)
        #expect(log.contains("kit-trainer: epoch 3"))
    }

    @Test(.enabled(if: numpyAvailable, skipReason))
    func killedSweepResumesFromTheKitsCheckpointsWithEveryEpochStoredOnce() throws {
        let clean = try Self.setUp("kit-clean", epochs: 6)
        let c = try Self.run(clean.spec, clean.results)
        #expect(c.status == 0, "\(c.stderr)")

        let (_, results, spec) = try Self.setUp("kit-kill9", epochs: 6)
        let p = Process()
        p.executableURL = Binary.lipsweep
        p.arguments = ["run", spec, "--results", results.path]
        p.environment = ProcessInfo.processInfo.environment.merging(Self.env.merging(["KIT_EPOCH_SECONDS": "0.4"]) { $1 }) { $1 }
            .filter { $0.key != "LIPSWEEP_WORKER" }
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        try waitFor { (try? Sweeps.count(results, "SELECT count(*) FROM epochs")) ?? 0 >= 3 }
        kill(p.processIdentifier, SIGKILL)
        try Child.waitForExit(p, what: "the scheduler")
        #expect(try Sweeps.count(results, "SELECT count(*) FROM trials WHERE state = 'running'") >= 1)
        // Its orphaned workers are still running; the rerun kills them and resumes their trials.
        let r = try Self.run(spec, results)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try Sweeps.count(results, "SELECT count(*) FROM trials WHERE state = 'completed'") == 2)
        #expect(try Sweeps.count(results, "SELECT count(*) FROM epochs") == 12)
        #expect(try Self.metricRows(results) == Self.metricRows(clean.results))
        let checkpoints = results.appendingPathComponent("checkpoints")
        let logs = try FileManager.default.subpathsOfDirectory(atPath: checkpoints.path).filter { $0.hasSuffix("worker.log") }
            .map { try String(contentsOf: checkpoints.appendingPathComponent($0), encoding: .utf8) }
        #expect(logs.contains { $0.contains("epoch lines replayed") }, "worker logs:\n\(logs.joined(separator: "\n---\n"))")
    }

    /// The kit saves the checkpoint before lipsweep scores: a worker that dies while epoch 2 is
    /// scored is resumed by scoring epoch 2's saved events, not by training epoch 2 again, and
    /// stores what an uninterrupted run stores.
    @Test(.enabled(if: numpyAvailable, skipReason))
    func aWorkerThatDiesWhileScoringResumesWithoutTrainingTheEpochAgain() throws {
        let clean = try Self.setUp("kit-score-clean", epochs: 4, retries: 1)
        #expect(try Self.run(clean.spec, clean.results).status == 0)
        let (_, results, spec) = try Self.setUp("kit-score-die", epochs: 4, retries: 1)
        let r = try Self.run(spec, results, env: ["KIT_DIE_IN_SCORE": "2"])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(try Sweeps.count(results, "SELECT count(*) FROM trials WHERE state = 'completed' AND attempts = 2") == 2)
        #expect(try Self.metricRows(results) == Self.metricRows(clean.results))
        let checkpoints = results.appendingPathComponent("checkpoints")
        let logs = try FileManager.default.subpathsOfDirectory(atPath: checkpoints.path).filter { $0.hasSuffix("worker.log") }
            .map { try String(contentsOf: checkpoints.appendingPathComponent($0), encoding: .utf8) }
        #expect(logs.count == 2)
        for log in logs {
            #expect(log.components(separatedBy: "kit-trainer: epoch 2\n").count == 2, "epoch 2 trained once:\n\(log)")
            #expect(log.contains("epoch 2 was trained and saved but not scored"), "\(log)")
        }
        // Nothing left to score, and only the last epoch's state kept.
        let left = try FileManager.default.subpathsOfDirectory(atPath: checkpoints.path)
        #expect(!left.contains { $0.hasSuffix(".npz") && $0.contains("pending-") }, "\(left)")
        #expect(left.filter { $0.contains("state-") }.allSatisfy { $0.hasSuffix("state-4.lipsweep-worker") }, "\(left)")
    }

    @Test(.enabled(if: numpyAvailable, skipReason))
    func theKitOnSlurmStoresWhatItStoresLocally() throws {
        try LocalSlurm.require()
        let local = try Self.setUp("kit-local")
        let l = try Self.run(local.spec, local.results)
        #expect(l.status == 0, "\(l.stderr)")
        let (_, results, spec) = try Self.setUp("kit-slurm")
        let r = try Binary.run(["run", spec, "--results", results.path, "--executor", "slurm", "--poll-seconds", "0.2"],
                               environment: Self.env.merging(LocalSlurm.env) { $1 }, unsetting: ["LIPSWEEP_WORKER"])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(try Sweeps.count(results, "SELECT count(*) FROM trials WHERE state = 'completed' AND job_id IS NOT NULL") == 2)
        #expect(try Self.metricRows(results) == Self.metricRows(local.results))
        let manifest = try String(contentsOf: results.appendingPathComponent("spool/kit/manifest.json"), encoding: .utf8)
        #expect(manifest.contains("kit-trainer.py"), "\(manifest)")
    }

    /// The trial's error as `lipsweep status` shows it, after a run with `env`.
    static func failedRun(_ name: String, env extra: [String: String]) throws -> (status: String, errors: [String]) {
        let (_, results, spec) = try setUp(name)
        let r = try run(spec, results, env: extra)
        #expect(r.status == 1, "a sweep with failed trials exits 1: \(r.stderr)")
        #expect(try Sweeps.count(results, "SELECT count(*) FROM trials WHERE state = 'failed'") == 2)
        let s = try Binary.run(["status", "--results", results.path])
        let errors = try Sweeps.database(results).read { db in try String.fetchAll(db, sql: "SELECT error FROM trials") }
        return (s.stdout, errors)
    }

    @Test(.enabled(if: numpyAvailable, skipReason))
    func aScriptThatRaisesEndsFailedWithPythonsErrorInStatus() throws {
        let (status, _) = try Self.failedRun("kit-raise", env: ["KIT_RAISE_AT": "2"])
        #expect(status.contains("ValueError: scripted failure at epoch 2"), "\(status)")
    }

    @Test(.enabled(if: numpyAvailable, skipReason),
          arguments: [("shape", "generated has shape (31, 30, 30), expected (32, 30, 30)"),
                      ("dtype", "generated has dtype float64, expected float32"),
                      ("order", "trial.epoch(3): epoch out of order, expected epoch 2")])
    func misuseOfTheKitFailsTheTrialNamingTheProblem(bad: String, message: String) throws {
        let (status, errors) = try Self.failedRun("kit-bad-\(bad)", env: ["KIT_BAD": bad])
        #expect(status.contains(message), "\(status)")
        #expect(errors.allSatisfy { $0.contains("lipsweep_worker: ") && !$0.contains("Traceback") }, "\(errors)")
    }

    @Test func aWorkerCommandThatDoesNotExistIsRefusedAtPlan() throws {
        let dir = Repo.scratch("kit-missing")
        for (worker, problem) in [("[python3, no-such-trainer.py]", "no-such-trainer.py does not exist"),
                                  ("[no-such-program-lipsweep]", "`no-such-program-lipsweep` is not on PATH"),
                                  ("[./missing-binary, x]", "missing-binary does not exist"),
                                  ("python3 train.py", "expected a list")] {
            let spec = try Sweeps.writeSpec(Self.spec(name: "kit").replacingOccurrences(of: "[python3, kit-trainer.py]", with: worker), in: dir)
            let r = try Binary.run(["plan", spec])
            #expect(r.status == 2, "\(worker): \(r.stdout)")
            #expect(r.stderr.contains("\(spec):10") && r.stderr.contains(problem), "\(worker): \(r.stderr)")
            #expect(!r.stderr.contains("Fatal error"))
        }
    }

    @Test(.enabled(if: numpyAvailable, skipReason))
    func scoreRefusesEventsOfTheWrongShapeWithOneLine() throws {
        let dir = Repo.scratch("kit-score")
        let config = try Sweeps.writeSpec("""
            dataset: {train: 64, test: 32}
            training: {epochs: 3}
            evaluation: {clusters: 4, prd_runs: 1}
            qg: {epochs: 3}
            """, in: dir, name: "trial.yaml")
        let d = try Binary.run(["data", "--config", config, "--output", dir.appendingPathComponent("data").path])
        #expect(d.status == 0, "\(d.stderr)")
        let wrong = dir.appendingPathComponent("wrong.npz").path
        let p = try Self.python(["-c", "import numpy as np; np.savez('\(wrong)', EnergyDeposit=np.zeros((5, 30, 30), np.float32))"])
        #expect(p.status == 0, "\(p.stderr)")
        let r = try Binary.run(["score", "--config", config, "--data", dir.appendingPathComponent("data").path, "--generated", wrong,
                                "--epoch", "1"])
        #expect(r.status == 2)
        #expect(r.stderr == "lipsweep: \(wrong):EnergyDeposit: has shape (5, 30, 30), expected (32, 30, 30); generate one event per held-out event of the trial (test.npz), in its order\n")
    }

    /// `data` and `score` read the trial config as `train` does: a missing file, bad YAML or a
    /// bad value is one line naming the file (and the place), exit 2, and no output written.
    @Test func dataAndScoreRefuseAMissingOrMalformedConfigWithOneLine() throws {
        let dir = Repo.scratch("kit-bad-config")
        let malformed = try Sweeps.writeSpec("dataset: {train: 64, test: 32\ntraining: {epochs: 3}\n", in: dir, name: "malformed.yaml")
        let badValue = try Sweeps.writeSpec("dataset: {train: 64, test: 32}\ntraining: {epochs: -3}\n", in: dir, name: "bad.yaml")
        let missing = dir.appendingPathComponent("missing.yaml").path
        for (config, place) in [(missing, missing), (malformed, malformed + ":"), (badValue, badValue + ":2")] {
            let output = dir.appendingPathComponent("out-\(URL(fileURLWithPath: config).lastPathComponent)")
            for args in [["data", "--config", config, "--output", output.path],
                         ["score", "--config", config, "--generated", "g.npz", "--epoch", "1"]] {
                let r = try Binary.run(args)
                #expect(r.status == 2, "\(args): \(r.stdout)")
                #expect(r.stderr.hasPrefix("lipsweep: ") && r.stderr.contains(place), "\(args): \(r.stderr)")
                #expect(r.stderr.split(separator: "\n").count == 1 && !r.stderr.contains("Fatal error"), "\(args): \(r.stderr)")
            }
            #expect(!FileManager.default.fileExists(atPath: output.path), "\(config): nothing written")
        }
    }

    @Test(.enabled(if: torchAvailable, torchReason))
    func theTorchExampleTrainsTwoEpochsOfTinyUnderASweepOnCPU() throws {
        let dir = Repo.scratch("kit-torch")
        let spec = try Sweeps.writeSpec("""
            name: torch
            model: {preset: tiny}
            training: {epochs: 2, regularizer: hinge, margin: 3}
            qg: {epochs: 2}
            seeds: [1]
            executor: {workers: 1, retries: 0, worker: [python3, \(Repo.path("examples/torch_dcgan.py"))]}
            """, in: dir)
        let results = dir.appendingPathComponent("results")
        // No PYTHONPATH: the example finds the kit next to it in the repository.
        let r = try Binary.run(["run", spec, "--results", results.path], environment: ["CUDA_VISIBLE_DEVICES": ""],
                               unsetting: ["LIPSWEEP_WORKER", "PYTHONPATH"], timeout: 600)
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(try Sweeps.count(results, "SELECT count(*) FROM trials WHERE state = 'completed'") == 1)
        #expect(try Sweeps.count(results, """
            SELECT count(*) FROM epochs WHERE phys_prd BETWEEN 0 AND 1 AND raw_prd BETWEEN 0 AND 1 AND fpd IS NOT NULL
              AND lipschitz_bound > 0 AND lipschitz_empirical > 0 AND k_product > 0 AND train_seconds > 0
            """) == 2)
        #expect(try Sweeps.count(results, "SELECT count(*) FROM histograms WHERE epoch = 2") == 1)
        let logs = try FileManager.default.subpathsOfDirectory(atPath: results.appendingPathComponent("checkpoints").path)
            .filter { $0.hasSuffix("worker.log") }
            .map { try String(contentsOf: results.appendingPathComponent("checkpoints").appendingPathComponent($0), encoding: .utf8) }
        #expect(logs.contains { $0.contains("training on cpu") }, "\(logs)")
    }
}
