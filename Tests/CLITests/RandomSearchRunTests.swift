import Foundation
import GRDB
import Sweep
import Testing

/// `search: {kind: random}` end to end through the real binary and the scripted worker, as
/// the boundary search's tests: plan, run, status, export, report, the Optuna journal, a
/// rerun after `kill -9`, and a rerun that draws more points.
enum RandomFixtures {
    /// sn and hinge m=4, 4 points each of lr in [1e-4, 1), seeds 1 and 2: 16 trials.
    static func spec(trials: Int = 4, journal: Bool = false) -> String {
        "name: rsearch\n" + Sweeps.tinyHeader + "\n" + """
            grid:
              regularizer: [sn, hinge]
              margin: [4]
            search: {kind: random, axis: lr, range: [1e-4, 1.0], trials: \(trials), seed: 3}
            seeds: [1, 2]
            executor: {workers: 2, retries: 1, backoff_seconds: 0.1}
            """ + (journal ? "\noutput: {optuna_journal: live-optuna.log}\n" : "\n")
    }

    /// The learning rates `plan --json` gives each trial, by trial number.
    static func plannedLRs(_ spec: String) throws -> [Double] {
        let r = try Sweeps.lipsweep(["plan", spec, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let items = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
        return items.map { (($0["config"] as! [String: Any])["training"] as! [String: Any])["lr"] as! Double }
    }

    static func storedLRs(_ results: URL) throws -> [Double] {
        try Sweeps.database(results).read { db in try Double.fetchAll(db, sql: "SELECT lr FROM trials ORDER BY number") }
    }

    static func export(_ results: URL) throws -> [[String: Any]] {
        let r = try Sweeps.lipsweep(["export", "random", "--results", results.path, "--format", "json", "--output", "-"])
        #expect(r.status == 0, "\(r.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
    }
}

@Suite(.serialized) struct RandomSearchRunTests {
    @Test func planRunStatusExportReportAndJournal() throws {
        let dir = Repo.scratch("random")
        let results = dir.appendingPathComponent("results")
        let spec = try Sweeps.writeSpec(RandomFixtures.spec(journal: true), in: dir)
        let plan = try Sweeps.lipsweep(["plan", spec])
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(plan.stdout.contains("random search on lr: 4 log-uniform point(s) in [0.0001, 1) per combination (draw seed 3), each with seed(s) 1, 2"))
        #expect(plan.stdout.contains("16 trials (2 combination(s) × 4 point(s) × 2 seed(s))"))
        #expect(plan.stdout.contains("16 trials in sweep \"rsearch\""))
        // The same spec plans the same points: 4 per combination, every seed at each, in range.
        let lrs = try RandomFixtures.plannedLRs(spec)
        #expect(lrs == (try RandomFixtures.plannedLRs(spec)))
        #expect(lrs.count == 16 && Set(lrs).count == 8 && lrs.allSatisfy { $0 >= 1e-4 && $0 < 1 })
        #expect(stride(from: 0, to: 16, by: 2).allSatisfy { lrs[$0] == lrs[$0 + 1] })

        let r = try Sweeps.lipsweep(["run", spec, "--results", results.path], env: SearchFixtures.env)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("16 completed, 0 diverged, 0 failed, 0 pending"), "\(r.stdout)")
        #expect(r.stdout.contains("random search on lr in [0.0001, 1) (log-uniform), 4 point(s) per combination"), "\(r.stdout)")
        #expect(try RandomFixtures.storedLRs(results) == lrs)

        let status = try Sweeps.lipsweep(["status", "--results", results.path])
        #expect(status.stdout.range(of: #"hinge m=4 α=1 +done: 4/4 point\(s\) finished, best lr [0-9.e-]+ \(mean QG"#,
                                    options: .regularExpression) != nil, "\(status.stdout)")
        // The export's best point is the stored point with the highest mean QG over the seeds.
        let rows = try RandomFixtures.export(results)
        #expect(rows.count == 2)
        for row in rows {
            let regularizer = try #require(row["regularizer"] as? String)
            let means = try Sweeps.database(results).read { db in
                try Row.fetchAll(db, sql: "SELECT lr, avg(qg) AS m FROM trials WHERE regularizer = ? GROUP BY lr", arguments: [regularizer])
                    .map { (lr: $0["lr"] as Double, mean: $0["m"] as Double) }
            }
            let best = try #require(means.max { $0.mean < $1.mean })
            #expect(row["status"] as? String == "done" && row["points"] as? Int == 4 && row["finished"] as? Int == 4 && row["trials"] as? Int == 8, "\(row)")
            #expect(row["best_lr"] as? Double == best.lr, "\(row)")
            #expect(abs((row["best_qg_mean"] as? Double ?? .nan) - best.mean) < 1e-12, "\(row)")
            // Its 95 % t-interval over the two seeds: mean ± t_{0.975, 1}·sd/√2 (scipy's t).
            let qgs = try Sweeps.database(results).read { db in
                try Double.fetchAll(db, sql: "SELECT qg FROM trials WHERE regularizer = ? AND lr = ?", arguments: [regularizer, best.lr])
            }
            #expect(qgs.count == 2)
            let half = 12.706204736174694 * abs(qgs[0] - qgs[1]) / 2.0.squareRoot() / 2.0.squareRoot()
            #expect(abs((row["best_qg_ci_low"] as? Double ?? .nan) - (best.mean - half)) < 1e-12 * max(1, half), "\(row)")
            #expect(abs((row["best_qg_ci_high"] as? Double ?? .nan) - (best.mean + half)) < 1e-12 * max(1, half), "\(row)")
        }
        let boundary = try Sweeps.lipsweep(["export", "boundary", "--results", results.path, "--output", "-"])
        #expect(boundary.status == 2 && boundary.stderr.contains("has no boundary search"), "\(boundary.stderr)")

        let html = try Sweeps.lipsweep(["report", "--results", results.path, "--output", dir.appendingPathComponent("r.html").path])
        #expect(html.status == 0, "\(html.stderr)")
        let page = try String(contentsOf: dir.appendingPathComponent("r.html"), encoding: .utf8)
        #expect(page.contains("<h2>Random search</h2>") && page.contains("best_lr"))

        // The live journal holds one Optuna trial per trial, lr a log-uniform parameter.
        let journal = dir.appendingPathComponent("live-optuna.log")
        #expect(FileManager.default.fileExists(atPath: journal.path))
        if PythonOptuna.installed {
            let study = try #require(try PythonOptuna.load(journal).first)
            #expect(study.trials.count == 16 && study.trials.allSatisfy { $0.state == "COMPLETE" })
            #expect(Set(study.trials.compactMap { $0.params["lr"]?.text }).count == 8)
            #expect(study.trials.allSatisfy { $0.distributions["lr"]?.text.contains("\"log\":true") == true }, "\(study.trials.first?.distributions ?? [:])")
        }
        let export = try Sweeps.lipsweep(["export", "optuna", "--results", results.path, "--output", dir.appendingPathComponent("e.log").path])
        #expect(export.status == 0, "\(export.stderr)")

        // More points: the first four are kept, two new ones per combination added.
        let more = try Sweeps.writeSpec(RandomFixtures.spec(trials: 6, journal: true), in: dir, name: "more.yaml")
        let again = try Sweeps.lipsweep(["run", more, "--results", results.path], env: SearchFixtures.env)
        #expect(again.status == 0 && again.stdout.contains("16 finished trial(s) kept, 8 new trial(s) added"), "\(again.stdout)")
        #expect(Array(try RandomFixtures.storedLRs(results).prefix(16)) == lrs)
        // Another draw seed is another set of points: the stored trials are not its own.
        let other = try Sweeps.writeSpec(RandomFixtures.spec().replacingOccurrences(of: "seed: 3", with: "seed: 4"), in: dir, name: "other.yaml")
        let refused = try Sweeps.lipsweep(["run", other, "--results", results.path])
        #expect(refused.status == 2 && refused.stderr.contains("changes or removes 24 of the 24 trials"), "\(refused.stderr)")
    }

    @Test func killedSchedulerThenRerunEqualsACleanRun() throws {
        let dir = Repo.scratch("random-kill9")
        let spec = try Sweeps.writeSpec(RandomFixtures.spec(), in: dir)
        let (results, clean) = try SearchFixtures.killedThenRerun(spec, in: dir) {
            try Sweeps.count($0, "SELECT count(*) FROM trials WHERE state = 'completed'") >= 3
        }
        #expect(NSArray(array: try RandomFixtures.export(results)) == NSArray(array: try RandomFixtures.export(clean)))
    }

    @Test func anUnknownSearchKindListsTheRegisteredKinds() throws {
        let dir = Repo.scratch("random-kind")
        let spec = try Sweeps.writeSpec("name: k\nsearch:\n  kind: sobol\n  range: [1e-4, 1]\n", in: dir)
        let r = try Sweeps.lipsweep(["plan", spec])
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr.contains("\(spec):3") && r.stderr.contains("grid, boundary, random"), "\(r.stderr)")
        let extra = try Sweeps.writeSpec("name: k\nsearch: {kind: random, range: [1e-4, 1], trials: 3, initial: 5}\n", in: dir, name: "extra.yaml")
        let e = try Sweeps.lipsweep(["plan", extra])
        #expect(e.status == 2 && e.stderr.contains("a random search does not take initial"), "\(e.stderr)")
    }
}
