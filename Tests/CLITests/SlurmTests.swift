import Foundation
import GRDB
import Testing

/// `executor: slurm` end to end against the real single-node cluster of
/// scripts/slurm-local.sh (started by the first test; cancelled with the reason when that is
/// impossible). Serialized: the cluster has the machine's cores and no more.
@Suite(.serialized) struct SlurmTests {
    /// The smoke spec on SLURM, polling fast.
    static func slurmArgs(_ spec: String, _ results: URL, _ extra: [String] = []) -> [String] {
        ["run", spec, "--results", results.path, "--executor", "slurm", "--poll-seconds", "0.2"] + extra
    }

    static func env(_ extra: [String: String] = [:]) -> [String: String] { LocalSlurm.env.merging(extra) { $1 } }

    /// Metrics of every stored epoch (not the wall-clock seconds, which differ run to run).
    static func metricRows(_ results: URL) throws -> [String] {
        try Sweeps.database(results).read { db in
            try Row.fetchAll(db, sql: """
                SELECT t.config_hash, e.epoch, e.d_loss, e.g_loss, e.reg_loss, e.raw_prd, e.phys_prd, e.lipschitz_bound,
                       e.lipschitz_empirical, e.k_product, e.k_json
                FROM epochs e JOIN trials t ON t.id = e.trial_id ORDER BY t.config_hash, e.epoch
                """).map { $0.description }
        }
    }

    /// Runs `lipsweep sync` (each must succeed) until its output shows `text`; returns how many
    /// syncs ran, nil when `seconds` passed first.
    static func syncUntil(_ results: URL, env: [String: String], seconds: Double, shows text: String) throws -> Int? {
        var syncs = 0
        let done = try LocalSlurm.waitFor(seconds) {
            syncs += 1
            let s = try Sweeps.lipsweep(["sync", "--results", results.path], env: env)
            #expect(s.status == 0, "\(s.stderr)")
            return s.stdout.contains(text)
        }
        return done ? syncs : nil
    }

    static func expectEveryTrialHasEpochsOneToThree(_ results: URL, trials: Int = 4) throws {
        #expect(try Sweeps.count(results, "SELECT count(*) FROM epochs") == 3 * trials)
        #expect(try Sweeps.count(results, """
            SELECT count(*) FROM (SELECT trial_id FROM epochs GROUP BY trial_id
                                  HAVING min(epoch) = 1 AND max(epoch) = 3 AND count(*) = 3)
            """) == trials)
    }

    @Test func smokeSweepThroughSlurmEqualsTheLocalExecutor() throws {
        try LocalSlurm.require()
        let dir = Repo.scratch("slurm-real")
        let local = dir.appendingPathComponent("local"), cluster = dir.appendingPathComponent("slurm")
        // The real trainer (no LIPSWEEP_WORKER), one thread: bit-reproducible numbers.
        let a = try Binary.run(["run", Repo.path("sweeps/smoke.yaml"), "--results", local.path, "--threads", "1"])
        #expect(a.status == 0, "\(a.stderr)")
        let b = try Binary.run(Self.slurmArgs(Repo.path("sweeps/smoke.yaml"), cluster, ["--threads", "1"]), environment: Self.env())
        #expect(b.status == 0, "\(b.stdout)\n\(b.stderr)")
        #expect(b.stdout.contains("submitted job array"))
        #expect(try Sweeps.count(cluster, "SELECT count(*) FROM trials WHERE state = 'completed' AND job_id IS NOT NULL") == 4)
        #expect(try Sweeps.trialRows(cluster) == Sweeps.trialRows(local))
        let rows = try Self.metricRows(cluster)
        #expect(rows.count == 12)
        #expect(rows == (try Self.metricRows(local)))
        // The workers wrote into the spool, never into the database's directory tree elsewhere.
        let spool = cluster.appendingPathComponent("spool/smoke")
        #expect(FileManager.default.fileExists(atPath: spool.appendingPathComponent("manifest.json").path))
        #expect(!FileManager.default.fileExists(atPath: cluster.appendingPathComponent("checkpoints").path))
    }

    @Test func scancelledTaskIsResubmittedFromItsCheckpointAndCompletes() throws {
        try LocalSlurm.require()
        let (dir, results, spec) = try Sweeps.smokeSetup("slurm-scancel")
        let env = Self.env(["FAKE_EPOCH_SECONDS": "0.6"])
        let run = try Sweeps.start(Self.slurmArgs(spec, results), env: env)
        // Once trial #0 has stored an epoch, cancel its array task mid-trial.
        var job: String?
        let started = try LocalSlurm.waitFor(60) {
            // try?: the database file exists a moment before its tables do.
            job = try? Sweeps.database(results).read { db in
                try String.fetchOne(db, sql: """
                    SELECT t.job_id FROM trials t WHERE t.number = 0 AND t.state = 'running'
                    AND EXISTS (SELECT 1 FROM epochs e WHERE e.trial_id = t.id)
                    """)
            } ?? nil
            return job != nil
        }
        #expect(started)
        try LocalSlurm.client("scancel", [try #require(job)])
        try Child.waitForExit(run, what: "the attached SLURM run")
        #expect(run.terminationStatus == 0)
        #expect(try Sweeps.count(results, "SELECT count(*) FROM trials WHERE state = 'completed'") == 4)
        #expect(try Sweeps.count(results, "SELECT attempts FROM trials WHERE number = 0") == 2)
        #expect(try Sweeps.count(results, "SELECT count(*) FROM trials WHERE number = 0 AND job_id != '\(job!)'") == 1)
        try Self.expectEveryTrialHasEpochsOneToThree(results)
        // The resubmitted task resumed from the checkpoint (replayed the epochs done before).
        let spool = results.appendingPathComponent("spool/t")
        let trialDir = try FileManager.default.contentsOfDirectory(atPath: spool.path).filter { $0.hasPrefix("0000-") }.first
        let log = try String(contentsOf: spool.appendingPathComponent(try #require(trialDir)).appendingPathComponent("worker.log"), encoding: .utf8)
        #expect(log.contains("0 epochs in checkpoint") && log.range(of: "[1-2] epochs in checkpoint", options: .regularExpression) != nil)
        // The same rows as the local executor running the same spec.
        let local = dir.appendingPathComponent("local")
        #expect(try Sweeps.lipsweep(["run", spec, "--results", local.path]).status == 0)
        #expect(try Sweeps.epochRows(results) == Sweeps.epochRows(local))
    }

    @Test func detachThenSyncUntilDoneEqualsAnAttachedRun() throws {
        try LocalSlurm.require()
        let (dir, results, spec) = try Sweeps.smokeSetup("slurm-detach")
        let env = Self.env(["FAKE_EPOCH_SECONDS": "0.1"])
        let detached = try Sweeps.lipsweep(Self.slurmArgs(spec, results, ["--detach"]), env: env)
        #expect(detached.status == 0, "\(detached.stderr)")
        #expect(detached.stdout.contains("0 failed, 0 pending, 4 on SLURM"))
        #expect(detached.stdout.contains("4 trial(s) queued or running on SLURM"))
        #expect(detached.stdout.contains("lipsweep sync --results"))
        #expect(try Sweeps.count(results, "SELECT count(*) FROM trials WHERE state = 'running' AND job_id IS NOT NULL") == 4)
        let status = try Sweeps.lipsweep(["status", "--results", results.path])
        #expect(status.stdout.components(separatedBy: ", SLURM task ").count == 5)
        let jobs = try Sweeps.lipsweep(["query", "--results", results.path, "--columns", "number,job_id", "--format", "csv"])
        let jobRows = jobs.stdout.split(separator: "\n").dropFirst()
        #expect(jobRows.count == 4 && jobRows.allSatisfy { $0.range(of: #"^([0-3]),[0-9]+_\1$"#, options: .regularExpression) != nil })
        let syncs = try Self.syncUntil(results, env: env, seconds: 90, shows: "0 pending, 0 running, 4 completed")
        #expect(syncs.map { $0 > 1 } == true)
        // A sync after the end changes nothing.
        let before = (try Sweeps.trialRows(results), try Sweeps.epochRows(results))
        #expect(try Sweeps.lipsweep(["sync", "--results", results.path], env: env).status == 0)
        #expect(try Sweeps.trialRows(results) == before.0 && Sweeps.epochRows(results) == before.1)

        let attached = dir.appendingPathComponent("attached")
        let a = try Sweeps.lipsweep(Self.slurmArgs(spec, attached), env: env)
        #expect(a.status == 0, "\(a.stderr)")
        #expect(try Sweeps.trialRows(results) == Sweeps.trialRows(attached))
        #expect(try Sweeps.epochRows(results) == Sweeps.epochRows(attached))
        #expect(try Sweeps.count(results, "SELECT sum(attempts) FROM trials") == 4)
    }

    /// A boundary search submitted with --detach goes on at every `sync` exactly as the local
    /// executor runs it: each sync step reads what finished, adds the next points, submits them.
    @Test func boundarySearchDetachedThenSyncedEqualsTheLocalRun() throws {
        try LocalSlurm.require()
        let dir = Repo.scratch("slurm-boundary")
        let spec = try Sweeps.writeSpec(SearchFixtures.boundarySpec(margins: "[16]"), in: dir)
        let env = Self.env(SearchFixtures.env)
        let results = dir.appendingPathComponent("slurm")
        let detached = try Sweeps.lipsweep(Self.slurmArgs(spec, results, ["--detach"]), env: env)
        #expect(detached.status == 0, "\(detached.stderr)")
        #expect(try Sweeps.count(results, "SELECT count(*) FROM trials WHERE state = 'running' AND job_id IS NOT NULL") == 10)
        let syncs = try Self.syncUntil(results, env: env, seconds: 240, shows: "0 pending, 0 running")
        #expect(syncs.map { $0 > 3 } == true)
        let local = dir.appendingPathComponent("local")
        #expect(try Sweeps.lipsweep(["run", spec, "--results", local.path], env: SearchFixtures.env).status == 0)
        #expect(try SearchFixtures.outcomes(results) == SearchFixtures.outcomes(local))
        let brackets = try SearchFixtures.brackets(results)
        SearchFixtures.expectTurnsBracketed(brackets, combinations: 2)
        #expect(NSArray(array: brackets) == NSArray(array: try SearchFixtures.brackets(local)))
        #expect(try Sweeps.count(results, "SELECT count(*) FROM trials WHERE job_id IS NULL") == 0)
        #expect(try Sweeps.count(results, "SELECT sum(attempts) FROM trials") == 16)
    }

    /// Successive halving on SLURM: the same rule over the recorded order, and a pruned trial's
    /// task is scancelled (its worker stops writing lines), as is the task of a trial that waits
    /// at a rung (`min_trials`), which a later task resumes.
    @Test func pruningOnSlurmStopsThePrunedTasks() throws {
        try LocalSlurm.require()
        let dir = Repo.scratch("slurm-prune")
        let spec = try Sweeps.writeSpec(PruningRunTests.spec(workers: 2), in: dir)
        let results = dir.appendingPathComponent("results")
        let r = try Sweeps.lipsweep(Self.slurmArgs(spec, results), env: Self.env(["FAKE_EPOCH_SECONDS": "0.3"]))
        #expect(r.status == 0, "\(r.stderr)")
        try PruningRunTests.expectDecisionsFollowTheRule(results, minTrials: 2)
        let pruned = try Sweeps.database(results).read { db in
            try Row.fetchAll(db, sql: "SELECT number, config_hash FROM trials WHERE state = 'pruned'")
        }
        #expect(!pruned.isEmpty)
        for row in pruned {
            let number: Int = row["number"], hash: String = row["config_hash"]
            let lines = results.appendingPathComponent("spool/prune").appendingPathComponent(String(format: "%04d-", number) + hash.prefix(12))
                .appendingPathComponent("lines.jsonl")
            // The last epoch any of its tasks wrote (a trial that waited at a rung was scancelled
            // there and resumed by a later task, which replays the earlier epochs).
            let epochs = try String(contentsOf: lines, encoding: .utf8).split(separator: "\n").compactMap { line in
                (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["epoch"] as? Int
            }.max() ?? 0
            #expect(epochs < 9, "trial #\(number)'s task went on to epoch \(epochs)")
        }
    }

    /// The same after `run --detach`, one `sync` at a time: a trial that waits at a rung is
    /// stopped by one process and its task's end read by another, and it goes back to pending
    /// uncharged (never failed), to be resumed once decided.
    @Test func pruningWithDetachedSyncsLetsWaitingTrialsWait() throws {
        try LocalSlurm.require()
        let dir = Repo.scratch("slurm-prune-detached")
        let spec = try Sweeps.writeSpec(PruningRunTests.spec(workers: 2), in: dir)
        let results = dir.appendingPathComponent("results")
        let env = Self.env(["FAKE_EPOCH_SECONDS": "0.3"])
        let detached = try Sweeps.lipsweep(Self.slurmArgs(spec, results, ["--detach"]), env: env)
        #expect(detached.status == 0, "\(detached.stderr)")
        #expect(try Self.syncUntil(results, env: env, seconds: 240, shows: "0 pending, 0 running") != nil)
        try PruningRunTests.expectDecisionsFollowTheRule(results, minTrials: 2)
        #expect(try Sweeps.count(results, "SELECT count(*) FROM trials WHERE state = 'failed' OR error IS NOT NULL") == 0)
    }

    @Test func missingSbatchAndARefusedJobLeaveTheTrialsPendingForALaterRun() throws {
        try LocalSlurm.require()
        let (_, results, spec) = try Sweeps.smokeSetup("slurm-refused")
        let env = Self.env(["FAKE_EPOCH_SECONDS": "0.02"])
        let missing = try Sweeps.lipsweep(Self.slurmArgs(spec, results), env: env.merging(["PATH": Self.pathWithoutSlurm()]) { $1 })
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("sbatch: not found on PATH"))
        #expect(missing.stderr.split(separator: "\n").count == 1)
        #expect(try Sweeps.count(results, "SELECT count(*) FROM trials WHERE state = 'pending' AND attempts = 0") == 4)

        let refused = try Sweeps.lipsweep(Self.slurmArgs(spec, results, ["--partition", "no-such-partition"]), env: env)
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("sbatch refused the job") && refused.stderr.contains("Invalid partition name"))
        #expect(refused.stderr.contains("executor.slurm"))
        #expect(try Sweeps.count(results, "SELECT count(*) FROM trials WHERE state = 'pending' AND attempts = 0") == 4)

        let ok = try Sweeps.lipsweep(Self.slurmArgs(spec, results), env: env)
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(try Sweeps.count(results, "SELECT count(*) FROM trials WHERE state = 'completed' AND attempts = 1") == 4)
        try Self.expectEveryTrialHasEpochsOneToThree(results)
    }

    @Test func cancelStopsTheTasksAndARunResumesThem() throws {
        try LocalSlurm.require()
        let (_, results, spec) = try Sweeps.smokeSetup("slurm-cancel")
        let env = Self.env(["FAKE_EPOCH_SECONDS": "0.6"])
        #expect(try Sweeps.lipsweep(Self.slurmArgs(spec, results, ["--detach"]), env: env).status == 0)
        #expect(try LocalSlurm.waitFor(60) {
            try Sweeps.lipsweep(["sync", "--results", results.path], env: env).status == 0
                && Sweeps.count(results, "SELECT count(*) FROM epochs") > 0
        })
        let cancel = try Sweeps.lipsweep(["cancel", "--results", results.path], env: env)
        #expect(cancel.status == 0, "\(cancel.stderr)")
        #expect(cancel.stdout.contains("cancelled"))
        let cancelled = try Sweeps.count(results, "SELECT count(*) FROM trials WHERE state = 'cancelled'")
        #expect(cancelled > 0)
        #expect(try Sweeps.count(results, "SELECT count(*) FROM trials WHERE state = 'running'") == 0)
        let queue = try LocalSlurm.client("squeue", ["--noheader", "--array", "--name=lipsweep-t", "--format=%i %T"])
        let jobs = try Sweeps.database(results).read { db in try String.fetchAll(db, sql: "SELECT job_id FROM trials") }
        #expect(!queue.split(separator: "\n").contains { line in jobs.contains { line.hasPrefix($0 + " ") } })
        // sync leaves cancelled trials alone; run queues them again and resumes them.
        #expect(try Sweeps.lipsweep(["sync", "--results", results.path], env: env).stdout.contains("\(cancelled) cancelled"))
        let again = try Sweeps.lipsweep(Self.slurmArgs(spec, results), env: env.merging(["FAKE_EPOCH_SECONDS": "0.05"]) { $1 })
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try Sweeps.count(results, "SELECT count(*) FROM trials WHERE state = 'completed'") == 4)
        try Self.expectEveryTrialHasEpochsOneToThree(results)
    }

    @Test func ctrlCOfAnAttachedRunLeavesTheJobsRunning() throws {
        try LocalSlurm.require()
        let (dir, results, spec) = try Sweeps.smokeSetup("slurm-sigint")
        let env = Self.env(["FAKE_EPOCH_SECONDS": "0.5"])
        let out = dir.appendingPathComponent("run.out")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        let p = Process()
        p.executableURL = Binary.lipsweep
        p.arguments = Self.slurmArgs(spec, results)
        p.environment = ProcessInfo.processInfo.environment.merging(Sweeps.env(env)) { $1 }
        p.standardOutput = try FileHandle(forWritingTo: out)
        p.standardError = FileHandle.nullDevice
        try p.run()
        #expect(try LocalSlurm.waitFor(30) { try String(contentsOf: out, encoding: .utf8).contains("submitted job array") })
        kill(p.processIdentifier, SIGINT)
        try Child.waitForExit(p, what: "the interrupted SLURM run")
        #expect(p.terminationStatus == 128 + SIGINT)
        let text = try String(contentsOf: out, encoding: .utf8)
        #expect(text.contains("the SLURM jobs keep running") && text.contains("lipsweep sync --results") && text.contains("lipsweep cancel --results"))
        #expect(try Sweeps.count(results, "SELECT count(*) FROM trials WHERE state = 'running' AND job_id IS NOT NULL") > 0)
        let wait = try Sweeps.lipsweep(["sync", "--results", results.path, "--wait"], env: env)
        #expect(wait.status == 0, "\(wait.stderr)")
        #expect(try Sweeps.count(results, "SELECT count(*) FROM trials WHERE state = 'completed' AND attempts = 1") == 4)
        try Self.expectEveryTrialHasEpochsOneToThree(results)
    }

    @Test func aTaskThatVanishedFromTheQueueIsResubmitted() throws {
        try LocalSlurm.require()
        let (_, results, spec) = try Sweeps.smokeSetup("slurm-vanish")
        let env = Self.env(["FAKE_EPOCH_SECONDS": "0.3"])
        #expect(try Sweeps.lipsweep(Self.slurmArgs(spec, results, ["--detach"]), env: env).status == 0)
        // Trial #0's task is gone (cancelled here, then its id replaced by one the queue has
        // never listed: what a task purged after MinJobAge looks like) and no end line came.
        let job = try #require(try Sweeps.database(results).read { db in try String.fetchOne(db, sql: "SELECT job_id FROM trials WHERE number = 0") })
        try LocalSlurm.client("scancel", [job])
        #expect(try LocalSlurm.waitFor(30) {
            !(try LocalSlurm.client("squeue", ["--noheader", "--array", "--format=%i", "--states=PENDING,RUNNING,COMPLETING"]))
                .split(separator: "\n").contains { $0 == job }
        })
        try Sweeps.database(results).write { db in try db.execute(sql: "UPDATE trials SET job_id = '999999_0' WHERE number = 0") }
        let sync = try Sweeps.lipsweep(["sync", "--results", results.path], env: env)
        #expect(sync.stdout.contains("SLURM task 999999_0 vanished from the queue without an end line; retry 1/2"))
        let wait = try Sweeps.lipsweep(["sync", "--results", results.path, "--wait"], env: env)
        #expect(wait.status == 0, "\(wait.stderr)")
        #expect(try Sweeps.count(results, "SELECT attempts FROM trials WHERE number = 0") == 2)
        #expect(try Sweeps.count(results, "SELECT count(*) FROM trials WHERE state = 'completed'") == 4)
        try Self.expectEveryTrialHasEpochsOneToThree(results)
    }

    @Test func aTrainerThatRejectsItsConfigFailsWithoutRetries() throws {
        try LocalSlurm.require()
        let (dir, results, spec) = try Sweeps.smokeSetup("slurm-reject")
        let rejecting = dir.appendingPathComponent("reject.sh")
        try "#!/bin/sh\necho 'training.lr: must be positive' >&2\nexit 2\n".write(to: rejecting, atomically: true, encoding: .utf8)
        chmod(rejecting.path, 0o755)
        let r = try Sweeps.lipsweep(Self.slurmArgs(spec, results), env: Self.env(["LIPSWEEP_WORKER": rejecting.path]))
        #expect(r.status == 1)
        #expect(try Sweeps.count(results, """
            SELECT count(*) FROM trials WHERE state = 'failed' AND attempts = 1
            AND error = 'worker rejected its config: training.lr: must be positive'
            """) == 4)
    }

    /// The daemons the script starts must not keep the caller's descriptors: Foundation's
    /// Process (and any caller reading a pipe to EOF) would otherwise wait until munged exits.
    /// This is how the suite once hung in CI. Restarts every daemon, leaving the cluster up.
    @Test func startReturnsToACallerThatWaitsOnItsDescriptors() throws {
        try LocalSlurm.require()
        let script = Repo.path("scripts/slurm-local.sh")
        try Child.run(URL(fileURLWithPath: "/bin/bash"), [script, "stop", LocalSlurm.stateDirectory], timeout: 60)
        try Child.run(URL(fileURLWithPath: "/usr/bin/pkill"), ["-x", "munged"], timeout: 10)
        #expect(try LocalSlurm.waitFor(10) { (try Child.run(URL(fileURLWithPath: "/usr/bin/pgrep"), ["-x", "munged"])).status != 0 })
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [script, "start", LocalSlurm.stateDirectory]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        try Child.waitForExit(p, timeout: 60, what: "scripts/slurm-local.sh start (daemons holding the caller's descriptors?)")
        #expect(p.terminationStatus == 0)
        #expect(String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) == "export SLURM_CONF=\(LocalSlurm.conf)\n")
        // The restarted cluster runs work.
        let (_, results, spec) = try Sweeps.smokeSetup("slurm-restarted")
        let r = try Sweeps.lipsweep(Self.slurmArgs(spec, results), env: Self.env())
        #expect(r.status == 0, "\(r.stderr)")
    }

    /// A PATH holding python3 (for the scripted worker) and no SLURM commands.
    static func pathWithoutSlurm() -> String {
        let dir = Repo.scratch("no-slurm-bin")
        try? FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("python3").path, withDestinationPath: "/usr/bin/python3")
        return dir.path
    }
}

/// The SLURM commands' behaviour that needs no cluster.
@Suite struct SlurmWithoutClusterTests {
    @Test func sbatchMissingIsOneClearLineAndTheTrialsStayPending() throws {
        let (_, results, spec) = try Sweeps.smokeSetup("no-sbatch")
        let r = try Sweeps.lipsweep(SlurmTests.slurmArgs(spec, results), env: ["PATH": SlurmTests.pathWithoutSlurm()])
        #expect(r.status == 1)
        #expect(r.stderr == "lipsweep: error: sbatch: not found on PATH; run lipsweep where SLURM's client commands are installed (a login node), add their directory to PATH, or use `executor.kind: local` (--executor local); the trials stay pending and a later run submits them\n")
        #expect(try Sweeps.count(results, "SELECT count(*) FROM trials WHERE state = 'pending' AND attempts = 0") == 4)
        // The local executor then runs the same sweep to the end.
        #expect(try Sweeps.lipsweep(["run", spec, "--results", results.path, "--executor", "local"]).status == 0)
        #expect(try Sweeps.count(results, "SELECT count(*) FROM trials WHERE state = 'completed'") == 4)
    }

    @Test func syncAndCancelRefuseASweepThatDidNotRunOnSlurm() throws {
        let (_, results, spec) = try Sweeps.smokeSetup("sync-local")
        #expect(try Sweeps.lipsweep(["run", spec, "--results", results.path]).status == 0)
        for command in ["sync", "cancel"] {
            let r = try Sweeps.lipsweep([command, "--results", results.path])
            #expect(r.status == 2)
            #expect(r.stderr.contains("was not run on SLURM"))
        }
        let detach = try Sweeps.lipsweep(["run", spec, "--results", results.path, "--detach"])
        #expect(detach.status == 2 && detach.stderr.contains("--detach"))
        let bad = try Sweeps.lipsweep(["run", spec, "--results", results.path, "--executor", "cloud"])
        #expect(bad.status == 2)
    }
}
