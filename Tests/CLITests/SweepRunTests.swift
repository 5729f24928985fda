import Foundation
import GRDB
import Testing

/// `lipsweep run` end to end through the real binary, with the scripted worker of
/// Tests/scripts/fake-worker.py standing in for the trainer.
@Suite(.serialized) struct SweepRunTests {
    @Test func smokeSweepRunsEveryTrialWithOneRowPerEpoch() throws {
        let (_, results, spec) = try Sweeps.smokeSetup("run")
        let r = try Sweeps.lipsweep(["run", spec, "--results", results.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("4 completed"))
        #expect(try Sweeps.count(results, "SELECT count(*) FROM trials WHERE state = 'completed'") == 4)
        #expect(try Sweeps.count(results, "SELECT count(*) FROM epochs") == 12)
        #expect(try Sweeps.count(results, "SELECT count(*) FROM trials WHERE qg IS NULL OR qg_slope IS NULL OR l_30 IS NULL") == 0)
        // QG of the scripted sn lr=1e-3 seed-1 trial: PRD_e = 0.01 + 0.01·e, so (PRD_3 − PRD_1)/3 = 0.02/3.
        let qg = try Sweeps.database(results).read { db in
            try Double.fetchOne(db, sql: "SELECT qg FROM trials WHERE regularizer = 'sn' AND lr = 0.001")
        }
        #expect(abs((qg ?? 0) - 0.02 / 3) < 1e-12)
        // Stored numbers are exactly the printed ones (the worker prints d_loss = 1/(epoch+seed)
        // rounded to 10 digits, and k as a list).
        let stored = try Sweeps.database(results).read { db in
            try Row.fetchOne(db, sql: "SELECT e.d_loss, e.k_json FROM epochs e JOIN trials t ON t.id = e.trial_id WHERE t.number = 2 AND e.epoch = 2")
        }
        #expect(stored?["d_loss"] == 0.3333333333)
        #expect(stored?["k_json"] == "[1,1,2.2]")
        #expect(try Sweeps.count(results, "SELECT count(*) FROM trials WHERE regularizer = 'hinge' AND two_over_m = 1.0") == 2)
        // Not a terminal: plain log lines, one per event.
        #expect(r.stdout.contains("#0 epoch 3/3"))

        // Running it again does no finished work twice.
        let again = try Sweeps.lipsweep(["run", spec, "--results", results.path])
        #expect(again.status == 0)
        #expect(again.stdout.contains("4 finished trial(s) kept, 0 new trial(s) added"))
        #expect(!again.stdout.contains("started"))

        let status = try Sweeps.lipsweep(["status", "--results", results.path])
        #expect(status.stdout.contains("4 trials — 0 pending, 0 running, 4 completed"))
    }

    @Test func killedWorkerIsRetriedFromItsCheckpoint() throws {
        let (dir, results, spec) = try Sweeps.smokeSetup("crash")
        // Every trial's worker SIGKILLs itself once, in the middle of epoch 2.
        let r = try Sweeps.lipsweep(["run", spec, "--results", results.path], env: ["FAKE_CRASH_AT_EPOCH": "2"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("killed by signal 9"))
        #expect(try Sweeps.count(results, "SELECT count(*) FROM trials WHERE state = 'completed' AND attempts = 2") == 4)
        #expect(try Sweeps.count(results, "SELECT count(*) FROM epochs") == 12)
        #expect(try Sweeps.count(results, "SELECT count(*) FROM (SELECT trial_id FROM epochs GROUP BY trial_id HAVING min(epoch) = 1 AND max(epoch) = 3 AND count(*) = 3)") == 4)
        // The second attempt resumed (epoch 1 replayed from the checkpoint, not recomputed).
        let log = try String(contentsOf: results.appendingPathComponent("checkpoints/t").appendingPathComponent(
            try FileManager.default.contentsOfDirectory(atPath: results.appendingPathComponent("checkpoints/t").path).sorted()[0])
            .appendingPathComponent("worker.log"), encoding: .utf8)
        #expect(log.contains("1 epochs in checkpoint"))

        // The same rows as an uninterrupted run.
        let clean = dir.appendingPathComponent("clean")
        #expect(try Sweeps.lipsweep(["run", spec, "--results", clean.path]).status == 0)
        #expect(try Sweeps.epochRows(results) == Sweeps.epochRows(clean))
        #expect(try Sweeps.trialRows(results) == Sweeps.trialRows(clean))
    }

    @Test func trialThatAlwaysDiesFailsAfterItsRetries() throws {
        let dir = Repo.scratch("fail")
        let results = dir.appendingPathComponent("results")
        let spec = try Sweeps.writeSpec(Sweeps.smokeSpec.replacingOccurrences(of: "retries: 2", with: "retries: 1"), in: dir)
        let r = try Sweeps.lipsweep(["run", spec, "--results", results.path], env: ["FAKE_ALWAYS_CRASH": "1"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("4 trial(s) failed"))
        #expect(try Sweeps.count(results, "SELECT count(*) FROM trials WHERE state = 'failed' AND attempts = 2 AND error LIKE '%killed by signal 9%'") == 4)
        let status = try Sweeps.lipsweep(["status", "--results", results.path])
        #expect(status.stdout.contains("failed #0 sn lr=0.001 seed=1 after 2 attempt(s)"))
        // A rerun gives failed trials a fresh set of retries.
        let again = try Sweeps.lipsweep(["run", spec, "--results", results.path])
        #expect(again.status == 0)
        #expect(try Sweeps.count(results, "SELECT count(*) FROM trials WHERE state = 'completed'") == 4)
    }

    /// `nice -n 7 lipsweep run` starts its workers at that nice value too (on Linux a child
    /// takes its spawning thread's, and the spawn runs on a Dispatch thread that set its own).
    @Test func workersRunAtTheSchedulersNiceValue() throws {
        let (_, results, spec) = try Sweeps.smokeSetup("nice")
        errno = 0
        let own = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        let expected = min(19, (errno == 0 ? own : 0) + 7)
        let r = try Child.run(URL(fileURLWithPath: "/usr/bin/nice"), ["-n", "7", Binary.lipsweep.path, "run", spec, "--results", results.path],
                              environment: Sweeps.env())
        #expect(r.status == 0, "\(r.stderr)")
        let logs = FileManager.default.enumerator(atPath: results.path)!.compactMap { $0 as? String }.filter { $0.hasSuffix("worker.log") }
        #expect(logs.count == 4)
        for log in logs {
            let text = try String(contentsOfFile: results.appendingPathComponent(log).path, encoding: .utf8)
            #expect(text.contains("fake worker: nice \(expected)\n"), "\(log): \(text)")
        }
    }

    @Test func divergedTrialsKeepTheirEpochsAndHaveNoQG() throws {
        let (_, results, spec) = try Sweeps.smokeSetup("diverge")
        let r = try Sweeps.lipsweep(["run", spec, "--results", results.path], env: ["FAKE_DIVERGE_LR": "0.003"])
        #expect(r.status == 0)
        #expect(try Sweeps.count(results, "SELECT count(*) FROM trials WHERE state = 'diverged' AND qg IS NULL AND error LIKE '%non-finite%'") == 2)
        #expect(try Sweeps.count(results, "SELECT count(*) FROM epochs e JOIN trials t ON t.id = e.trial_id WHERE t.state = 'diverged'") == 4)
    }

    @Test func killedSchedulerThenRerunEqualsAnUninterruptedRun() throws {
        let dir = Repo.scratch("kill9")
        let spec = try Sweeps.writeSpec(Sweeps.smokeSpec, in: dir)
        let clean = dir.appendingPathComponent("clean")
        #expect(try Sweeps.lipsweep(["run", spec, "--results", clean.path]).status == 0)

        let results = dir.appendingPathComponent("results")
        let slow = ["FAKE_EPOCH_SECONDS": "0.4"]
        let scheduler = try Sweeps.start(["run", spec, "--results", results.path], env: slow)
        try waitFor { (try? Sweeps.count(results, "SELECT count(*) FROM epochs")) ?? 0 >= 3 }
        kill(scheduler.processIdentifier, SIGKILL)
        try Child.waitForExit(scheduler, what: "the scheduler")
        #expect(try Sweeps.count(results, "SELECT count(*) FROM trials WHERE state = 'running'") >= 1)
        let r = try Sweeps.lipsweep(["run", spec, "--results", results.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try Sweeps.epochRows(results) == Sweeps.epochRows(clean))
        #expect(try Sweeps.trialRows(results) == Sweeps.trialRows(clean))
    }

    @Test(arguments: [SIGINT, SIGTERM])
    func signalStopsCleanlyAndTheNextRunContinues(_ sig: Int32) throws {
        let (_, results, spec) = try Sweeps.smokeSetup("stop")
        let scheduler = try Sweeps.start(["run", spec, "--results", results.path], env: ["FAKE_EPOCH_SECONDS": "0.4"])
        try waitFor { (try? Sweeps.count(results, "SELECT count(*) FROM epochs")) ?? 0 >= 1 }
        // A second scheduler on the same results directory is refused while this one runs.
        let second = try Sweeps.lipsweep(["run", spec, "--results", results.path])
        #expect(second.status == 2)
        #expect(second.stderr.contains("another lipsweep run (pid \(scheduler.processIdentifier))"))
        kill(scheduler.processIdentifier, sig)
        try Child.waitForExit(scheduler, what: "the scheduler")
        #expect(scheduler.terminationStatus == 128 + sig)
        #expect(try Sweeps.count(results, "SELECT count(*) FROM trials WHERE state NOT IN ('pending', 'completed')") == 0)
        #expect(try Sweeps.count(results, "SELECT count(*) FROM trials WHERE state = 'pending'") >= 2)
        #expect(try Sweeps.count(results, "SELECT count(*) FROM trials WHERE attempts > 0 AND state = 'pending'") == 0)
        let r = try Sweeps.lipsweep(["run", spec, "--results", results.path])
        #expect(r.status == 0)
        #expect(try Sweeps.count(results, "SELECT count(*) FROM epochs") == 12)
    }

    @Test func changedSpecIsRefusedAndNewGridPointsAreAdded() throws {
        let (dir, results, spec) = try Sweeps.smokeSetup("change")
        #expect(try Sweeps.lipsweep(["run", spec, "--results", results.path]).status == 0)
        let changed = try Sweeps.writeSpec(Sweeps.smokeSpec.replacingOccurrences(of: "epochs: 3}\nevaluation", with: "epochs: 4}\nevaluation"), in: dir, name: "changed.yaml")
        let refused = try Sweeps.lipsweep(["run", changed, "--results", results.path])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("changes or removes 4 of the 4 trials"))
        #expect(refused.stderr.contains("training.epochs: 3 → 4"))
        #expect(try Sweeps.count(results, "SELECT count(*) FROM trials") == 4)
        let grown = try Sweeps.writeSpec(Sweeps.smokeSpec.replacingOccurrences(of: "lr: [1e-3, 3e-3]", with: "lr: [1e-3, 3e-3, 1e-2]"), in: dir, name: "grown.yaml")
        let r = try Sweeps.lipsweep(["run", grown, "--results", results.path])
        #expect(r.status == 0)
        #expect(r.stdout.contains("2 new trial(s) added"))
        #expect(try Sweeps.count(results, "SELECT count(*) FROM trials WHERE state = 'completed'") == 6)
        #expect(try Sweeps.count(results, "SELECT count(*) FROM trials WHERE attempts = 1") == 6)
    }

    @Test(arguments: [
        ("name: x\ngrid:\n  lr: [1e-3, 3e-3\n", "spec.yaml:3", "malformed YAML"),
        ("name: x\ntrainig:\n  lr: 1e-3\n", "spec.yaml:2", "did you mean `training`?"),
        ("name: x\ntraining:\n  lr: -1e-3\n", "spec.yaml:3", "training.lr: must be positive, found -1e-3"),
        ("name: x\ngrid:\n  regularizer: [sn]\n  margin: [2]\n", "spec.yaml:4", "no trial uses it"),
        ("name: x\ntraining:\n  epochs: 10\n", "spec.yaml:3", "the QG window of 30 epochs is longer than the 10 training epochs"),
        ("name: x\ndataset:\n  source: npz\n  path: missing.npz\n", "spec.yaml:4", "no such file"),
    ])
    func badSpecIsOneClearMessageAndWritesNothing(_ yaml: String, _ place: String, _ problem: String) throws {
        let dir = Repo.scratch("bad")
        let results = dir.appendingPathComponent("results")
        let spec = try Sweeps.writeSpec(yaml, in: dir)
        for command in [["run", spec, "--results", results.path], ["plan", spec]] {
            let r = try Sweeps.lipsweep(command)
            #expect(r.status == 2)
            #expect(r.stderr.contains(place), "\(r.stderr)")
            #expect(r.stderr.contains(problem), "\(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
            #expect(r.stdout.isEmpty)
        }
        #expect(!FileManager.default.fileExists(atPath: results.path))
    }
}

/// Polls `condition` for up to 20 s; records an issue when it never holds.
func waitFor(_ condition: () throws -> Bool) throws {
    if try !LocalSlurm.waitFor(20, condition) { Issue.record("timed out waiting") }
}

/// On a terminal (a pseudo-terminal from util-linux `script`), `run` draws a live block:
/// counts, ETA, each running trial's epoch and PRD, redrawn in place.
@Suite struct LiveProgressTests {
    static var hasScript: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/script") }

    @Test(.enabled(if: hasScript, "needs util-linux script(1) for a pseudo-terminal"))
    func liveProgressOnATerminal() throws {
        let dir = Repo.scratch("tty")
        let spec = try Sweeps.writeSpec(Sweeps.smokeSpec, in: dir)
        let command = "\(Binary.lipsweep.path) run \(spec) --results \(dir.appendingPathComponent("results").path)"
        let r = try Child.run(URL(fileURLWithPath: "/usr/bin/script"), ["-qec", command, "/dev/null"],
                              environment: Sweeps.env(["FAKE_EPOCH_SECONDS": "0.3"]))
        let text = r.stdout
        #expect(r.status == 0)
        #expect(text.contains("\u{1B}[1A\u{1B}[2K"))                      // redrawn in place
        #expect(text.contains("0/4 done, 2 running, 0 failed, 2 pending"))
        #expect(text.contains("  #0 sn lr=0.001 seed=1  epoch 1/3  PRD 0.02"))
        #expect(text.range(of: "ETA [0-9]+s", options: .regularExpression) != nil)
        #expect(!text.contains("Z #0 epoch"))                                // no plain log lines
    }
}
