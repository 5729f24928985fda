import Foundation
import GRDB
import Testing

/// Pruning without arrival bias: trials start in config-hash order, and no trial is decided at
/// a rung before `min_trials` trials have reached it (issue 22, item 6).
@Suite(.serialized) struct PruningArrivalRunTests {
    /// sn and hinge × 4 learning rates; Physical PRD an i.i.d. draw per trial (FAKE_IID_SEED).
    static func spec(workers: Int, minTrials: Int? = nil) -> String {
        "name: iid\n" + """
            dataset: {train: 64, test: 32}
            training: {epochs: 6}
            evaluation: {clusters: 4, prd_runs: 1}
            qg: {epochs: 2}
            grid:
              regularizer: [sn, hinge]
              margin: [2]
              lr: [1e-3, 2e-3, 3e-3, 4e-3]
            seeds: [1]
            pruning: {rungs: [2, 4], keep: 0.5, metric: phys_prd\(minTrials.map { ", min_trials: \($0)" } ?? "")}
            executor: {workers: \(workers), retries: 1, backoff_seconds: 0.1}
            """
    }

    /// Trial numbers in the order their workers first started (one worker: the start order).
    static func firstStarts(_ stdout: String) -> [Int] {
        var seen: [Int] = []
        for line in stdout.split(separator: "\n") where line.hasSuffix(": started") {
            guard let n = Int(line.drop { $0 != "#" }.dropFirst().prefix { $0.isNumber }), !seen.contains(n) else { continue }
            seen.append(n)
        }
        return seen
    }

    @Test func trialsStartInConfigHashOrderAndTheFirstArrivalsAreRankedNotLetThrough() throws {
        let dir = Repo.scratch("iid")
        let results = dir.appendingPathComponent("results")
        let spec = try Sweeps.writeSpec(Self.spec(workers: 1), in: dir)
        let env = ["FAKE_IID_SEED": "7", "FAKE_EPOCH_SECONDS": "0.02"]
        let r = try Sweeps.lipsweep(["run", spec, "--results", results.path], env: env)
        #expect(r.status == 0, "\(r.stderr)")
        let byHash = try Sweeps.database(results).read { db in try Int.fetchAll(db, sql: "SELECT number FROM trials ORDER BY config_hash") }
        let regularizerByNumber = try Sweeps.database(results).read { db in
            try Dictionary(uniqueKeysWithValues: Row.fetchAll(db, sql: "SELECT number, regularizer FROM trials").map { ($0["number"] as Int, $0["regularizer"] as String) })
        }
        let starts = Self.firstStarts(r.stdout)
        #expect(starts == byHash, "\(r.stdout)")
        #expect(starts != Array(0..<8))
        // Not regularizer-outermost: the first half of the starts holds both regularizers.
        #expect(Set(starts.prefix(4).map { regularizerByNumber[$0]! }).count == 2, "\(starts)")
        // The default min_trials is ⌈1/keep⌉ = 2: the first two trials at a rung are ranked
        // against each other, so exactly one of them goes on.
        let first = try Sweeps.database(results).read { db in
            try String.fetchAll(db, sql: "SELECT decision FROM rung_decisions WHERE rung = 2 AND reached = 2")
        }
        #expect(first.sorted() == ["continue", "prune"], "\(first)")
        try PruningRunTests.expectDecisionsFollowTheRule(results, minTrials: 2)
        #expect(r.stdout.contains("waits at epoch 2 until 2 trials have reached it (1 so far)"), "\(r.stdout)")
        let status = try Sweeps.lipsweep(["status", "--results", results.path])
        #expect(status.stdout.contains("none decided at a rung before 2 trial(s) reached it"), "\(status.stdout)")
        // The same spec and seed give the same decisions.
        let again = dir.appendingPathComponent("again")
        #expect(try Sweeps.lipsweep(["run", spec, "--results", again.path], env: env).status == 0)
        #expect(try PruningRunTests.decisions(again) == PruningRunTests.decisions(results))
    }

    /// `status` of a sweep stopped while trials wait at a rung: the pending count says how many
    /// wait, and the rung's line counts them as reached, not yet decided.
    @Test func statusCountsTheTrialsWaitingAtARung() throws {
        let dir = Repo.scratch("iid-waiting")
        let results = dir.appendingPathComponent("results")
        let spec = try Sweeps.writeSpec(Self.spec(workers: 1, minTrials: 6), in: dir)
        let scheduler = try Sweeps.start(["run", spec, "--results", results.path],
                                         env: ["FAKE_IID_SEED": "3", "FAKE_EPOCH_SECONDS": "0.15"])
        let waitingSQL = """
            SELECT count(*) FROM trials t WHERE state = 'pending'
              AND (SELECT max(epoch) FROM epochs e WHERE e.trial_id = t.id) >= 2
              AND NOT EXISTS (SELECT 1 FROM rung_decisions d WHERE d.trial_id = t.id AND d.rung = 2)
            """
        try waitFor { (try? Sweeps.count(results, waitingSQL)) ?? 0 >= 2 }
        kill(scheduler.processIdentifier, SIGKILL)
        try Child.waitForExit(scheduler, what: "the scheduler")
        let pending = try Sweeps.count(results, waitingSQL)
        let atRung = try Sweeps.count(results, """
            SELECT count(*) FROM trials t WHERE state IN ('pending', 'running')
              AND (SELECT max(epoch) FROM epochs e WHERE e.trial_id = t.id) >= 2
              AND NOT EXISTS (SELECT 1 FROM rung_decisions d WHERE d.trial_id = t.id AND d.rung = 2)
            """)
        #expect(try Sweeps.count(results, "SELECT count(*) FROM rung_decisions") == 0)
        let status = try Sweeps.lipsweep(["status", "--results", results.path])
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains(" pending (\(pending) waiting at a rung)"), "\(status.stdout)")
        #expect(status.stdout.contains("epoch 2: \(atRung) reached, 0 pruned, \(atRung) waiting; epoch 4: 0 reached, 0 pruned"),
                "\(status.stdout)")
    }

    /// More min_trials than trials can ever reach the second rung: those that do are decided
    /// with each other at the end, and the sweep ends.
    @Test func aPoolThatCannotFillIsDecidedAtTheEnd() throws {
        let dir = Repo.scratch("iid-min")
        let results = dir.appendingPathComponent("results")
        let spec = try Sweeps.writeSpec(Self.spec(workers: 2, minTrials: 6), in: dir)
        let r = try Sweeps.lipsweep(["run", spec, "--results", results.path], env: ["FAKE_IID_SEED": "3", "FAKE_EPOCH_SECONDS": "0.02"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try Sweeps.count(results, "SELECT count(*) FROM trials WHERE state NOT IN ('completed', 'pruned')") == 0)
        // Rung 2: all 8 reach it, none decided before 6 had. Rung 4: the 3 that went on.
        #expect(try Sweeps.count(results, "SELECT min(reached) FROM rung_decisions WHERE rung = 2") >= 6)
        #expect(try Sweeps.count(results, "SELECT count(*) FROM rung_decisions WHERE rung = 2 AND decision = 'continue'")
                == Sweeps.count(results, "SELECT count(*) FROM rung_decisions WHERE rung = 4"))
        #expect(try Sweeps.count(results, "SELECT count(DISTINCT reached) FROM rung_decisions WHERE rung = 4") == 1)
        try PruningRunTests.expectDecisionsFollowTheRule(results, minTrials: 6)
    }
}
