import Foundation
import GRDB
import Sweep
import Testing

/// `lipsweep query` and `lipsweep export` against a finished scripted sweep, checked against
/// direct SQL on the public schema.
@Suite(.serialized) struct QueryExportTests {
    static let spec = "name: qx\n" + Sweeps.tinyHeader + "\n" + """
        grid:
          regularizer: [sn, hinge]
          margin: [2]
          lr: [0.5, 1.0]
        repeats: 3
        executor: {workers: 2, retries: 0}
        """

    /// A finished sweep (12 trials; seed 3 at lr 1.0 diverges), built once.
    static let results = Sweeps.finished("qx", spec: spec, env: ["FAKE_DIVERGE_LR": "1.0", "FAKE_DIVERGE_SEED": "3", "FAKE_EPOCH_SECONDS": "0"])

    func json(_ args: [String]) throws -> [[String: Any]] {
        let r = try Sweeps.lipsweep(args + ["--results", Self.results.path, "--format", "json"] + (args[0] == "export" ? ["--output", "-"] : []))
        #expect(r.status == 0, "\(r.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
    }

    @Test func exportQGEqualsDirectSQL() throws {
        let rows = try json(["export", "qg"])
        #expect(rows.count == 4)
        try QGCheck.expectExportEqualsSQL(rows, results: Self.results)
        // The scripted numbers make the groups differ: lr 1.0 has a diverged seed and lr ≤ 2/L
        // fails for the seeds with the larger L.
        let snFast = try #require(rows.first { $0["regularizer"] as? String == "sn" && ($0["lr"] as? Double) == 1.0 })
        #expect((snFast["diverged_fraction"] as? Double).map { abs($0 - 1.0 / 3) < 1e-12 } == true)
        #expect((snFast["qg_n"] as? Int) == 2)
        let snSlow = try #require(rows.first { $0["regularizer"] as? String == "sn" && ($0["lr"] as? Double) == 0.5 })
        #expect((snSlow["qg_sd"] as? Double).map { $0 > 0 } == true)
        #expect((snSlow["within_bound_fraction"] as? Double) == 1.0)
    }

    /// `qg_ci_low`/`qg_ci_high` and the slope's are mean ± t_{0.975, n−1}·sd/√n of the stored
    /// per-trial figures of each grid point (t from scipy.stats.t.ppf), NULL below 2 seeds;
    /// `qg_estimator` names the default. lr 1.0 has 2 seeds with a QG (seed 3 diverged), lr 0.5 has 3.
    @Test func exportQGIntervalsAreTheDirectTInterval() throws {
        let rows = try json(["export", "qg"])
        let t975: [Int: Double] = [1: 12.706204736174694, 2: 4.302652729749462]
        let stored = try Sweeps.database(Self.results).read { db in
            try Row.fetchAll(db, sql: "SELECT regularizer, lr, qg, qg_slope FROM trials WHERE state IN ('completed', 'diverged', 'pruned')")
        }
        var checked = 0
        for row in rows {
            let group = stored.filter { ($0["regularizer"] as String) == row["regularizer"] as? String && ($0["lr"] as Double) == row["lr"] as? Double }
            for (prefix, column) in [("qg", "qg"), ("qg_slope", "qg_slope")] {
                let values: [Double] = group.compactMap { $0[column] }
                #expect(row["\(prefix)_n"] as? Int == values.count)
                let n = Double(values.count), mean = values.reduce(0, +) / n
                let sd = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / (n - 1)).squareRoot()
                let half = try #require(t975[values.count - 1]) * sd / n.squareRoot()
                let low = try #require(row["\(prefix)_ci_low"] as? Double), high = try #require(row["\(prefix)_ci_high"] as? Double)
                #expect(abs(low - (mean - half)) <= 1e-12 * max(1, abs(mean) + half), "\(prefix) low \(low) vs \(mean - half)")
                #expect(abs(high - (mean + half)) <= 1e-12 * max(1, abs(mean) + half), "\(prefix) high \(high) vs \(mean + half)")
                checked += 1
            }
            #expect(row["qg_estimator"] as? String == "endpoints")
        }
        #expect(checked == 8)
        // The new columns come after the old ones, in this order.
        let csv = try Sweeps.lipsweep(["export", "qg", "--results", Self.results.path, "--output", "-"])
        #expect(csv.stdout.hasPrefix("regularizer,arch,loss,margin,alpha,lambda,lr,qg_metric,trials,qg_n,qg_mean,qg_sd,qg_slope_mean,l_30_mean,two_over_l_30,two_over_m,within_bound_fraction,diverged_fraction,qg_ci_low,qg_ci_high,qg_slope_n,qg_slope_sd,qg_slope_ci_low,qg_slope_ci_high,qg_estimator\n"), "\(csv.stdout)")
        // status: every point's interval, and differences phrased by whether the intervals separate.
        let status = try Sweeps.lipsweep(["status", "--results", Self.results.path])
        #expect(status.stdout.contains("QG (endpoints, phys_prd) per grid point"), "\(status.stdout)")
        #expect(status.stdout.contains("differences (an effect only where the 95 % intervals separate)"), "\(status.stdout)")
        for row in rows {
            let low = try #require(row["qg_ci_low"] as? Double), high = try #require(row["qg_ci_high"] as? Double)
            #expect(status.stdout.contains("[\(formatNumber(low)), \(formatNumber(high))]"), "\(status.stdout)")
        }
    }

    @Test func exportEpochsAndPRDvsL() throws {
        let epochs = try json(["export", "epochs"])
        #expect(epochs.count == (try Sweeps.count(Self.results, "SELECT count(*) FROM epochs")))
        #expect(epochs.first?["epoch"] as? Int == 1 && epochs.first?["number"] as? Int == 0)
        let best = try json(["export", "prd-vs-l"])
        #expect(best.count == 12)
        let want = try Sweeps.database(Self.results).read { db in
            try Row.fetchAll(db, sql: """
                SELECT t.number, max(min(e.raw_prd, e.phys_prd)) AS best FROM trials t JOIN epochs e ON e.trial_id = t.id GROUP BY t.id
                """)
        }
        for row in want {
            let number: Int = row["number"]
            let got = best.first { $0["number"] as? Int == number }?["best_prd"] as? Double
            #expect(got == row["best"])
        }
        // Written to RESULTS/exports by default, and the path printed.
        let r = try Sweeps.lipsweep(["export", "qg", "--results", Self.results.path])
        #expect(r.status == 0)
        let path = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(path.hasSuffix("exports/qx-qg.csv"))
        #expect(try String(contentsOfFile: path, encoding: .utf8).hasPrefix("regularizer,arch,loss,margin,alpha,lambda,lr,qg_metric,trials,qg_n,qg_mean,qg_sd"))
    }

    @Test func queryFiltersSortsAndChoosesColumns() throws {
        let rows = try json(["query", "--where", "regularizer=hinge", "--where", "lr<=0.5", "--sort=-seed", "--columns", "number,seed,qg,state"])
        #expect(rows.map { $0["seed"] as? Int } == [3, 2, 1])
        #expect(rows.allSatisfy { Set($0.keys) == ["number", "seed", "qg", "state"] })
        let csv = try Sweeps.lipsweep(["query", "--results", Self.results.path, "--format", "csv", "--where", "state=diverged", "--columns", "number,state"])
        #expect(csv.stdout == "number,state\n5,diverged\n11,diverged\n")
        let table = try Sweeps.lipsweep(["query", "--results", Self.results.path, "--limit", "2"])
        #expect(table.stdout.split(separator: "\n").count == 3)
        #expect(table.stdout.hasPrefix("number  regularizer"))
    }

    @Test func queryMistakesAreUserErrors() throws {
        let bad = try Sweeps.lipsweep(["query", "--results", Self.results.path, "--where", "qgg>0"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("did you mean `qg`?"))
        let badSort = try Sweeps.lipsweep(["query", "--results", Self.results.path, "--sort", "-lrr"])
        #expect(badSort.status == 2)
        let nowhere = try Sweeps.lipsweep(["query", "--results", Repo.scratch("empty").appendingPathComponent("r").path])
        #expect(nowhere.status == 2)
        #expect(nowhere.stderr.contains("no lipsweep.db here"))
        let noSweep = try Sweeps.lipsweep(["export", "qg", "--results", Self.results.path, "--sweep", "nope"])
        #expect(noSweep.status == 2)
        #expect(noSweep.stderr.contains("sweeps here: qx"))
    }

    @Test func queryAndExportWorkWhileASweepRuns() throws {
        let (_, results, spec) = try Sweeps.smokeSetup("live")
        let scheduler = try Sweeps.start(["run", spec, "--results", results.path], env: ["FAKE_EPOCH_SECONDS": "0.3"])
        defer { kill(scheduler.processIdentifier, SIGKILL); try? Child.waitForExit(scheduler, what: "the scheduler") }
        try waitFor { (try? Sweeps.count(results, "SELECT count(*) FROM epochs")) ?? 0 >= 1 }
        let q = try Sweeps.lipsweep(["query", "--results", results.path, "--format", "json", "--columns", "number,state,epochs_done"])
        #expect(q.status == 0, "\(q.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(q.stdout.utf8)) as? [[String: Any]])
        #expect(rows.count == 4)
        #expect(rows.contains { $0["state"] as? String == "running" })
        let seen = rows.compactMap { $0["epochs_done"] as? Int }.reduce(0, +)
        #expect(seen >= 1)
        let e = try Sweeps.lipsweep(["export", "epochs", "--results", results.path, "--output", "-", "--format", "json"])
        #expect(e.status == 0, "\(e.stderr)")
        let epochRows = try #require(try JSONSerialization.jsonObject(with: Data(e.stdout.utf8)) as? [[String: Any]])
        // Epochs only accumulate: the later export sees at least what the query saw.
        #expect(epochRows.count >= seen)
        #expect(try Sweeps.lipsweep(["status", "--results", results.path]).stdout.contains("running #"))
    }
}
