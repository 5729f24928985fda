import Foundation
import GRDB
import Testing

/// The boundary search and successive halving end to end through the real binary, with the
/// scripted worker: FAKE_TURN makes every trial's QG turn negative at a known learning rate,
/// T = 0.5·2/L (L = 1.1 for sn, 1.1·m for hinge), so the right brackets are known.
enum SearchFixtures {
    static let turnScale = 0.5
    static func turn(margin: Double?) -> Double { turnScale * 2 / (1.1 * (margin ?? 1)) }

    /// sn and hinge m ∈ {0.5, 4, 16} on lr ∈ [1e-4, 1]: m = 0.5 turns at 1.8, above the range.
    static func boundarySpec(margins: String = "[0.5, 4, 16]", workers: Int = 2) -> String {
        "name: bsearch\n" + Sweeps.tinyHeader + "\n" + """
            grid:
              regularizer: [sn, hinge]
              margin: \(margins)
            search: {kind: boundary, axis: lr, range: [1e-4, 1.0], initial: 5, resolution: 1.5, threshold: 0}
            seeds: [1]
            executor: {workers: \(workers), retries: 1, backoff_seconds: 0.1}
            """
    }

    static var env: [String: String] { ["FAKE_TURN": String(turnScale)] }

    /// `export boundary --format json --output -` as one dictionary per combination.
    static func brackets(_ results: URL, env extra: [String: String] = [:]) throws -> [[String: Any]] {
        let r = try Sweeps.lipsweep(["export", "boundary", "--results", results.path, "--format", "json", "--output", "-"], env: extra)
        #expect(r.status == 0, "\(r.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
    }

    /// Every combination brackets its turn within the resolution, or has no crossing when
    /// its turn lies above the range.
    static func expectTurnsBracketed(_ rows: [[String: Any]], combinations: Int) {
        #expect(rows.count == combinations)
        for row in rows {
            let margin = row["margin"] as? Double
            let t = turn(margin: margin)
            if t > 1 {
                #expect(row["status"] as? String == "no-crossing" && row["note"] as? String == "converges at every point" && row["lr_lo"] is NSNull, "\(row)")
                #expect(row["trials"] as? Int == 5)
            } else {
                let lo = row["lr_lo"] as? Double ?? .nan, hi = row["lr_hi"] as? Double ?? .nan
                #expect(row["status"] as? String == "bracketed", "\(row)")
                #expect(lo < t && t < hi && hi / lo <= 1.5 * (1 + 1e-9), "margin \(margin ?? 0): [\(lo), \(hi)] should hold \(t)")
                #expect(row["trials"] as? Int == 8)
                // The bracket's L₃₀ is the scripted bound, 2/m for hinge.
                #expect(abs((row["two_over_l_30"] as? Double ?? 0) - 2 / (1.1 * (margin ?? 1))) < 1e-9)
                #expect((row["two_over_m"] as? Double).map { abs($0 - 2 / margin!) < 1e-12 } ?? (margin == nil))
            }
        }
    }

    /// What two runs of a search must agree on: each trial by its config, its state and QG (not
    /// its number: numbers follow the order in which trials were added, which follows timing).
    static func outcomes(_ results: URL) throws -> [String] {
        try Sweeps.database(results).read { db in
            try Row.fetchAll(db, sql: "SELECT config_hash, state, qg, l_30 FROM trials ORDER BY config_hash").map(\.description)
        }
    }

    /// Runs `spec` cleanly into `dir/clean`, then again into `dir/results` with slow epochs,
    /// kills that scheduler with SIGKILL once `killWhen` holds for the results directory and
    /// reruns it to the end: the kill-9 half of a resume test. Returns (results, clean).
    static func killedThenRerun(_ spec: String, in dir: URL, env: [String: String] = env,
                                killWhen: (URL) throws -> Bool) throws -> (results: URL, clean: URL) {
        let clean = dir.appendingPathComponent("clean")
        #expect(try Sweeps.lipsweep(["run", spec, "--results", clean.path], env: env).status == 0)
        let results = dir.appendingPathComponent("results")
        let scheduler = try Sweeps.start(["run", spec, "--results", results.path],
                                         env: env.merging(["FAKE_EPOCH_SECONDS": "0.15"]) { $1 })
        try waitFor { (try? killWhen(results)) ?? false }
        kill(scheduler.processIdentifier, SIGKILL)
        try Child.waitForExit(scheduler, what: "the scheduler")
        #expect(try Sweeps.count(results, "SELECT count(*) FROM trials WHERE state != 'completed'") >= 1)
        let r = try Sweeps.lipsweep(["run", spec, "--results", results.path], env: env)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try outcomes(results) == outcomes(clean))
        #expect(try Sweeps.epochRows(results) == Sweeps.epochRows(clean))
        // No trial ran twice: the interrupted ones resumed (their attempt given back).
        #expect(try Sweeps.count(results, "SELECT sum(attempts) FROM trials") == Sweeps.count(results, "SELECT count(*) FROM trials"))
        return (results, clean)
    }
}

@Suite(.serialized) struct BoundarySearchRunTests {
    @Test func bracketsEveryTurnWithAtMostFortyPercentOfAGridsTrials() throws {
        let dir = Repo.scratch("boundary")
        let results = dir.appendingPathComponent("results")
        let spec = try Sweeps.writeSpec(SearchFixtures.boundarySpec(), in: dir)
        let plan = try Sweeps.lipsweep(["plan", spec])
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(plan.stdout.contains("initial points: lr 0.0001, 0.001, 0.01, 0.1, 1"))
        #expect(plan.stdout.contains("at most 32 trials (20 initial); a grid of the same resolution needs 96 (24 points per combination)"))
        #expect(plan.stdout.contains("20 initial trials in sweep \"bsearch\""))

        let r = try Sweeps.lipsweep(["run", spec, "--results", results.path], env: SearchFixtures.env)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("boundary search, hinge m=4 α=1: bracket [0.1, 1] → lr 0.3162"))
        SearchFixtures.expectTurnsBracketed(try SearchFixtures.brackets(results), combinations: 4)

        // Counted: the search against a grid whose neighbours are within a factor 1.5 over
        // the same four decades, ⌈ln 1e4 / ln 1.5⌉ + 1 = 24 points for each of 4 combinations.
        let trials = try Sweeps.count(results, "SELECT count(*) FROM trials")
        let gridTrials = (Int((log(1e4) / log(1.5)).rounded(.up)) + 1) * 4
        #expect(trials == 29 && gridTrials == 96)
        #expect(Double(trials) <= 0.4 * Double(gridTrials))
        // One row per point run, each run once.
        #expect(try Sweeps.count(results, "SELECT count(*) FROM (SELECT DISTINCT regularizer, margin, lr, seed FROM trials)") == trials)
        #expect(try Sweeps.count(results, "SELECT sum(attempts) FROM trials") == trials)
        #expect(try Sweeps.count(results, "SELECT count(*) FROM trials WHERE state = 'completed'") == trials)

        let status = try Sweeps.lipsweep(["status", "--results", results.path])
        #expect(status.stdout.contains("boundary search on lr in [0.0001, 1]"))
        #expect(status.stdout.range(of: #"hinge m=16 α=1 +bracketed: lr in \[0\.05\d*, 0\.0\d+\] \(ratio 1\.33\d*\); 8 point"#,
                                    options: .regularExpression) != nil, "\(status.stdout)")
        let html = try Sweeps.lipsweep(["report", "--results", results.path, "--output", dir.appendingPathComponent("r.html").path])
        #expect(html.status == 0, "\(html.stderr)")
        let page = try String(contentsOf: dir.appendingPathComponent("r.html"), encoding: .utf8)
        #expect(page.components(separatedBy: "class=\"band\"").count - 1 == 3)
        #expect(page.contains("Convergence boundary"))

        // Running it again adds nothing: the search's state is in the database.
        let again = try Sweeps.lipsweep(["run", spec, "--results", results.path], env: SearchFixtures.env)
        #expect(again.status == 0 && again.stdout.contains("29 finished trial(s) kept, 0 new trial(s) added"), "\(again.stdout)")
        // A spec whose search no longer covers the stored points is refused.
        let narrower = try Sweeps.writeSpec(SearchFixtures.boundarySpec().replacingOccurrences(of: "[1e-4, 1.0]", with: "[1e-3, 1.0]"),
                                            in: dir, name: "narrower.yaml")
        let refused = try Sweeps.lipsweep(["run", narrower, "--results", results.path])
        #expect(refused.status == 2 && refused.stderr.contains("changes or removes 4 of the 29 trials"), "\(refused.stderr)")
    }

    @Test func killedSchedulerThenRerunReachesTheSameBrackets() throws {
        let dir = Repo.scratch("boundary-kill9")
        let spec = try Sweeps.writeSpec(SearchFixtures.boundarySpec(margins: "[4, 16]"), in: dir)
        // Killed once the search has gone past its initial points.
        let (results, clean) = try SearchFixtures.killedThenRerun(spec, in: dir) { try Sweeps.count($0, "SELECT count(*) FROM trials") > 15 }
        let brackets = try SearchFixtures.brackets(results)
        SearchFixtures.expectTurnsBracketed(brackets, combinations: 3)
        #expect(NSArray(array: brackets) == NSArray(array: try SearchFixtures.brackets(clean)))
    }

    @Test func exportBoundaryOfAGridIsAUserMistake() throws {
        let (_, results, spec) = try Sweeps.smokeSetup("boundary-grid")
        #expect(try Sweeps.lipsweep(["run", spec, "--results", results.path]).status == 0)
        let r = try Sweeps.lipsweep(["export", "boundary", "--results", results.path, "--output", "-"])
        #expect(r.status == 2 && r.stderr.contains("has no boundary search"), "\(r.stderr)")
    }
}

/// `pruning:` with the scripted worker, whose Physical PRD grows with lr (best_prd ranks the
/// trials by lr). Trials start in config-hash order; the default min_trials is ⌈1/keep⌉ = 2.
@Suite(.serialized) struct PruningRunTests {
    /// lr in the order 3, 1, 4, 2, 6, 5 (×1e-3): trial #4 is the best at every rung.
    static func spec(workers: Int) -> String {
        "name: prune\n" + """
            dataset: {train: 64, test: 32}
            training: {epochs: 9}
            evaluation: {clusters: 4, prd_runs: 1}
            qg: {epochs: 3}
            grid:
              regularizer: [sn]
              lr: [3e-3, 1e-3, 4e-3, 2e-3, 6e-3, 5e-3]
            seeds: [1]
            pruning: {rungs: [3, 6], keep: 0.5, metric: best_prd}
            executor: {workers: \(workers), retries: 1, backoff_seconds: 0.1}
            """
    }

    @Test func theRungsAndKeepDecideWhichTrialsStopAndTheBestNeverDoes() throws {
        let dir = Repo.scratch("prune")
        let results = dir.appendingPathComponent("results")
        let spec = try Sweeps.writeSpec(Self.spec(workers: 1), in: dir)
        let r = try Sweeps.lipsweep(["run", spec, "--results", results.path])
        #expect(r.status == 0, "\(r.stderr)")
        try Self.expectDecisionsFollowTheRule(results, minTrials: 2)
        // Every trial reaches epoch 3 and is decided there; those that went on are decided at 6.
        #expect(try Sweeps.count(results, "SELECT count(*) FROM rung_decisions WHERE rung = 3") == 6)
        let wentOn = try Sweeps.count(results, "SELECT count(*) FROM rung_decisions WHERE rung = 3 AND decision = 'continue'")
        #expect(try Sweeps.count(results, "SELECT count(*) FROM rung_decisions WHERE rung = 6") == wentOn)
        let pruned = try Sweeps.count(results, "SELECT count(*) FROM trials WHERE state = 'pruned'")
        #expect(pruned > 0 && r.stdout.contains("\(6 - pruned) completed, 0 diverged, \(pruned) pruned, 0 failed"), "\(r.stdout)")
        // A pruned trial stored its epochs up to its rung and no further; a completed one all 9.
        #expect(try Sweeps.count(results, "SELECT count(*) FROM epochs")
                == Sweeps.count(results, "SELECT coalesce(sum(CASE WHEN t.state = 'completed' THEN 9 ELSE d.rung END), 0) FROM trials t LEFT JOIN rung_decisions d ON d.trial_id = t.id AND d.decision = 'prune'"))
        // Pruned trials keep their epochs and QG; they are no error.
        #expect(try Sweeps.count(results, "SELECT count(*) FROM trials WHERE state = 'pruned' AND qg IS NOT NULL AND error IS NULL") == pruned)
        #expect(try Sweeps.count(results, "SELECT count(*) FROM rung_decisions WHERE decision = 'prune'") == pruned)
        let status = try Sweeps.lipsweep(["status", "--results", results.path])
        #expect(status.stdout.contains("\(6 - pruned) completed, 0 failed, 0 diverged, 0 cancelled, \(pruned) pruned"))
        #expect(status.stdout.contains("epoch 3: 6 reached, \(6 - wentOn) pruned; epoch 6: \(wentOn) reached"), "\(status.stdout)")
        let qg = try Sweeps.lipsweep(["export", "qg", "--results", results.path, "--output", "-"])
        #expect(qg.stdout.split(separator: "\n").count == 7, "pruned trials have their QG row: \(qg.stdout)")
        // A rerun does nothing: pruned trials are never resumed.
        let epochs = try Sweeps.count(results, "SELECT count(*) FROM epochs")
        let again = try Sweeps.lipsweep(["run", spec, "--results", results.path])
        #expect(again.status == 0 && !again.stdout.contains("started"))
        #expect(try Sweeps.count(results, "SELECT count(*) FROM epochs") == epochs)
    }

    /// The decisions at each rung, ordered as made: config hash, rung, value, reached, kept, decision.
    static func decisions(_ results: URL) throws -> [String] {
        try Sweeps.database(results).read { db in
            try Row.fetchAll(db, sql: """
                SELECT t.config_hash, d.rung, d.value, d.reached, d.kept, d.decision FROM rung_decisions d
                JOIN trials t ON t.id = d.trial_id ORDER BY d.id
                """).map(\.description)
        }
    }

    /// Every decision follows the rule (keep 0.5) against its pool: a decision that saw n trials
    /// at its rung was made among the first n to arrive there, which are the decisions at that
    /// rung that saw at most n (decided on arrival, or together once min_trials had arrived);
    /// it keeps k = max(1, ⌊n/2⌋) and goes on when fewer than k of its pool are better. None
    /// saw fewer than `minTrials` unless fewer ever reached the rung. The pruned trials are
    /// exactly those with a prune decision, stopped at that rung; the best trial (lr 6e-3, when
    /// in the sweep) completes; every trial ends completed or pruned.
    static func expectDecisionsFollowTheRule(_ results: URL, minTrials: Int) throws {
        let decisions = try Sweeps.database(results).read { db in try Row.fetchAll(db, sql: "SELECT * FROM rung_decisions ORDER BY id") }
        for row in decisions {
            let rung: Int = row["rung"], value: Double = row["value"], decision: String = row["decision"]
            let reached: Int = row["reached"], kept: Int = row["kept"]
            let atRung = decisions.filter { ($0["rung"] as Int) == rung }
            let pool = atRung.filter { ($0["reached"] as Int) <= reached }
            #expect(pool.count == reached, "\(row): pool \(pool.count)")
            #expect(kept == max(1, Int((0.5 * Double(reached) + 1e-9).rounded(.down))), "\(row)")
            let better = pool.filter { ($0["value"] as Double) > value }.count
            #expect(decision == (better < kept ? "continue" : "prune"), "\(row)")
            #expect(reached >= minTrials || reached == atRung.count, "\(row): decided among \(reached) < \(minTrials)")
        }
        #expect(try Sweeps.count(results, "SELECT count(*) FROM (SELECT trial_id, rung FROM rung_decisions GROUP BY trial_id, rung HAVING count(*) > 1)") == 0)
        #expect(try Sweeps.count(results, """
            SELECT count(*) FROM trials t WHERE (t.state = 'pruned') != EXISTS
              (SELECT 1 FROM rung_decisions d WHERE d.trial_id = t.id AND d.decision = 'prune')
            """) == 0)
        #expect(try Sweeps.count(results, """
            SELECT count(*) FROM trials t JOIN rung_decisions d ON d.trial_id = t.id AND d.decision = 'prune'
            WHERE (SELECT max(epoch) FROM epochs e WHERE e.trial_id = t.id) != d.rung
            """) == 0)
        #expect(try Sweeps.count(results, "SELECT count(*) FROM trials WHERE lr = 0.006 AND state != 'completed'") == 0)
        #expect(try Sweeps.count(results, "SELECT count(*) FROM trials WHERE state NOT IN ('completed', 'pruned')") == 0)
    }

    @Test func aRerunAfterACrashKeepsTheDecisionsMadeAndDecidesTheRestByTheSameRule() throws {
        let dir = Repo.scratch("prune-kill9")
        let results = dir.appendingPathComponent("results")
        let spec = try Sweeps.writeSpec(Self.spec(workers: 2), in: dir)
        let scheduler = try Sweeps.start(["run", spec, "--results", results.path], env: ["FAKE_EPOCH_SECONDS": "0.25"])
        try waitFor { (try? Sweeps.count(results, "SELECT count(*) FROM rung_decisions")) ?? 0 >= 3 }
        kill(scheduler.processIdentifier, SIGKILL)
        try Child.waitForExit(scheduler, what: "the scheduler")
        let before = try Self.decisions(results)
        let prunedBefore = try Sweeps.count(results, "SELECT count(*) FROM trials WHERE state = 'pruned'")
        #expect(before.count >= 3)

        let r = try Sweeps.lipsweep(["run", spec, "--results", results.path])
        #expect(r.status == 0, "\(r.stderr)")
        let after = try Self.decisions(results)
        // The decisions made before the crash are kept as they were, first, and not made again.
        #expect(Array(after.prefix(before.count)) == before)
        #expect(try Sweeps.count(results, "SELECT count(*) FROM trials WHERE state = 'pruned'") >= prunedBefore)
        try Self.expectDecisionsFollowTheRule(results, minTrials: 2)
    }
}
