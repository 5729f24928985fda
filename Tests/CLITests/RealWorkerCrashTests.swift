import Foundation
import GRDB
import Testing

/// Crashes and stops with the real trainer as the worker (`lipsweep train`, no
/// LIPSWEEP_WORKER): the database after each must equal an uninterrupted run's, metric for
/// metric. With one thread per worker the trainer is bit-reproducible and resumes exactly
/// from its checkpoint, so any lost, duplicated or recomputed-differently epoch shows.
@Suite(.serialized) struct RealWorkerCrashTests {
    /// Two trials of six epochs on 512 events: each epoch takes long enough (about a second)
    /// that a kill lands mid-trial, and the whole suite stays well under a minute.
    static let spec = """
        name: crash
        dataset: {train: 512, test: 128}
        model: {preset: tiny}
        training: {epochs: 6}
        evaluation: {clusters: 8, prd_runs: 1}
        qg: {epochs: 3}
        grid:
          regularizer: [sn, hinge]
          margin: [2]
          lr: [1e-3]
        seeds: [1]
        executor: {workers: 2, threads: 1, retries: 2, backoff_seconds: 0.1}
        """

    /// The reference: the same spec, never interrupted.
    static let clean: Result<(epochs: [String], trials: [String]), Error> = Result {
        let dir = Repo.scratch("real-clean")
        let spec = try Sweeps.writeSpec(Self.spec, in: dir)
        let results = dir.appendingPathComponent("results")
        let r = try Binary.run(["run", spec, "--results", results.path])
        guard r.status == 0 else { throw InvalidState("uninterrupted run failed: \(r.stderr)") }
        return (try Sweeps.epochRows(results, timings: false), try Sweeps.trialRows(results))
    }

    @Test func killedRealWorkerIsRetriedFromItsCheckpointAndLosesNothing() throws {
        let (results, spec) = try setup("real-worker-kill9")
        let scheduler = try startRealRun(spec, results)
        // A running trial that has stored an epoch and has more than two left: kill -9 its worker.
        var victim: (trial: Int64, pid: Int32)?
        try waitFor {
            // try?: the database does not exist until the scheduler has created it.
            victim = try? Sweeps.database(results).read { db in
                try Row.fetchOne(db, sql: """
                    SELECT t.id, t.worker_pid FROM trials t
                    WHERE t.state = 'running' AND t.worker_pid IS NOT NULL
                      AND (SELECT max(epoch) FROM epochs e WHERE e.trial_id = t.id) BETWEEN 1 AND 3
                    """).map { ($0[0], $0[1]) }
            }
            return victim != nil
        }
        let (trial, pid) = try #require(victim)
        #expect(kill(pid, SIGKILL) == 0)
        try Child.waitForExit(scheduler, what: "the scheduler")
        #expect(scheduler.terminationStatus == 0)
        #expect(try Sweeps.count(results, "SELECT attempts FROM trials WHERE id = \(trial)") == 2)
        #expect(try Sweeps.count(results, "SELECT count(*) FROM trials WHERE state = 'completed'") == 2)
        try expectEqualsUninterrupted(results)
    }

    @Test func killedSchedulerWithRealWorkersThenRerunLosesNothing() throws {
        let (results, spec) = try setup("real-scheduler-kill9")
        let scheduler = try startRealRun(spec, results)
        try waitFor { (try? Sweeps.count(results, "SELECT count(*) FROM epochs")) ?? 0 >= 2 }
        kill(scheduler.processIdentifier, SIGKILL)
        try Child.waitForExit(scheduler, what: "the scheduler")
        #expect(try Sweeps.count(results, "SELECT count(*) FROM trials WHERE state = 'running'") >= 1)
        // Its orphaned workers are still training; the rerun kills them and resumes their trials.
        let r = try Binary.run(["run", spec, "--results", results.path])
        #expect(r.status == 0, "\(r.stderr)")
        try expectEqualsUninterrupted(results)
    }

    @Test func sigintWithRealWorkersPutsTrialsBackToPendingAndTheRerunResumes() throws {
        let (results, spec) = try setup("real-sigint")
        let scheduler = try startRealRun(spec, results)
        try waitFor { (try? Sweeps.count(results, "SELECT count(*) FROM epochs")) ?? 0 >= 2 }
        kill(scheduler.processIdentifier, SIGINT)
        try Child.waitForExit(scheduler, what: "the scheduler")
        #expect(scheduler.terminationStatus == 128 + SIGINT)
        #expect(try Sweeps.count(results, "SELECT count(*) FROM trials WHERE state NOT IN ('pending', 'completed')") == 0)
        #expect(try Sweeps.count(results, "SELECT count(*) FROM trials WHERE state = 'pending'") >= 1)
        let r = try Binary.run(["run", spec, "--results", results.path])
        #expect(r.status == 0, "\(r.stderr)")
        // The resumed trials continued from their checkpoints rather than starting again.
        let logs = try FileManager.default.subpathsOfDirectory(atPath: results.appendingPathComponent("checkpoints").path)
            .filter { $0.hasSuffix("worker.log") }
            .map { try String(contentsOfFile: results.appendingPathComponent("checkpoints").appendingPathComponent($0).path, encoding: .utf8) }
        #expect(logs.contains { $0.contains("epoch lines replayed") }, "worker logs:\n\(logs.joined(separator: "\n---\n"))")
        try expectEqualsUninterrupted(results)
    }

    /// A power cut mid-sweep: the scheduler and its workers die at once and the checkpoints on
    /// disk are torn (one emptied, the others cut short). The rerun sets each torn checkpoint
    /// aside, restarts its trial from scratch — one line in the trial's log — and ends with
    /// exactly the epochs of an uninterrupted run.
    @Test func tornCheckpointsAfterAPowerCutAreSetAsideAndTheRerunLosesNothing() throws {
        let (results, spec) = try setup("real-torn")
        let scheduler = try startRealRun(spec, results)
        try waitFor { (try? Sweeps.count(results, "SELECT count(*) FROM epochs")) ?? 0 >= 2 }
        kill(scheduler.processIdentifier, SIGKILL)
        try Child.waitForExit(scheduler, what: "the scheduler")
        let workers = try Sweeps.database(results).read { db in
            try Int32.fetchAll(db, sql: "SELECT worker_pid FROM trials WHERE state = 'running' AND worker_pid IS NOT NULL")
        }
        for pid in workers { Child.killTree(pid) }
        let checkpoints = results.appendingPathComponent("checkpoints")
        let files = try FileManager.default.subpathsOfDirectory(atPath: checkpoints.path)
            .filter { $0.hasSuffix("checkpoint.lipsweep") }.map { checkpoints.appendingPathComponent($0) }
        #expect(!files.isEmpty)
        for (i, file) in files.enumerated() {
            let size = try FileManager.default.attributesOfItem(atPath: file.path)[.size] as! Int
            #expect(truncate(file.path, off_t(i == 0 ? 0 : size / 2)) == 0)
        }
        let r = try Binary.run(["run", spec, "--results", results.path])
        #expect(r.status == 0, "\(r.stderr)")
        let logs = try FileManager.default.subpathsOfDirectory(atPath: checkpoints.path).filter { $0.hasSuffix("worker.log") }
            .map { try String(contentsOfFile: checkpoints.appendingPathComponent($0).path, encoding: .utf8) }
        #expect(logs.filter { $0.contains("set aside") && $0.contains("starting the trial afresh") }.count == files.count,
                "worker logs:\n\(logs.joined(separator: "\n---\n"))")
        try expectEqualsUninterrupted(results)
    }

    private func setup(_ name: String) throws -> (URL, String) {
        let dir = Repo.scratch(name)
        return (dir.appendingPathComponent("results"), try Sweeps.writeSpec(Self.spec, in: dir))
    }

    /// `lipsweep run` in the background with the real trainer as its worker.
    private func startRealRun(_ spec: String, _ results: URL) throws -> Process {
        let p = Process()
        p.executableURL = Binary.lipsweep
        p.arguments = ["run", spec, "--results", results.path]
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "LIPSWEEP_WORKER")
        p.environment = env
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    private func expectEqualsUninterrupted(_ results: URL) throws {
        let reference = try Self.clean.get()
        let epochs = try Sweeps.epochRows(results, timings: false)
        #expect(epochs.count == 12)
        #expect(epochs == reference.epochs)
        #expect(try Sweeps.trialRows(results) == reference.trials)
    }
}

struct InvalidState: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
