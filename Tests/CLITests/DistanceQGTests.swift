import Foundation
import GRDB
import Testing

/// QG on a physics distance (docs/science.md §7: for a distance, the mean per-epoch decrease),
/// end to end through the scheduler with the scripted worker: the distances are stored per
/// epoch, `export qg` equals a direct SQL computation of the decrease-QG, `--metric`
/// recomputes it on another series, `query`/`prd-vs-l` carry the distance columns, the report
/// draws Appendix C and the QG curves on FPD/KPD, and a worker that sends no distances (protocol
/// 3) still completes its trials with NULL columns.
@Suite(.serialized) struct DistanceQGTests {
    static let spec = """
        name: dq
        dataset: {train: 64, test: 32}
        training: {epochs: 4}
        evaluation: {clusters: 4, prd_runs: 1}
        qg: {epochs: 4, metric: fpd}
        grid:
          regularizer: [sn, hinge]
          margin: [2]
          lr: [0.01, 0.1]
        seeds: [1, 2]
        executor: {workers: 2, retries: 0}
        """

    /// The finished sweep (8 trials), built once.
    static let results = Sweeps.finished("dq", spec: spec, env: ["FAKE_EPOCH_SECONDS": "0"])

    func json(_ args: [String]) throws -> [[String: Any]] {
        let r = try Sweeps.lipsweep(args + ["--results", Self.results.path, "--format", "json"] + (args[0] == "export" ? ["--output", "-"] : []))
        #expect(r.status == 0, "\(r.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
    }

    /// Per group, the mean over seeds of each trial's QG on `column` computed from its first
    /// and last epoch of the 4-epoch window: (d₄ − d₁)/4, negated for a distance.
    static func sqlQG(_ column: String, distance: Bool) -> String {
        """
        WITH q AS (
          SELECT t.regularizer, t.margin, t.lr,
                 \(distance ? "-" : "")((SELECT \(column) FROM epochs WHERE trial_id = t.id AND epoch = 4)
                   - (SELECT \(column) FROM epochs WHERE trial_id = t.id AND epoch = 1)) / 4.0 AS qg
          FROM trials t WHERE t.state = 'completed')
        SELECT regularizer, margin, lr, avg(qg) AS qg_mean, count(*) AS n FROM q
        GROUP BY regularizer, margin, lr ORDER BY regularizer, margin, lr
        """
    }

    static func expectEqual(_ rows: [[String: Any]], _ sql: String, metric: String) throws {
        let want = try Sweeps.database(results).read { db in try Row.fetchAll(db, sql: sql) }
        #expect(rows.count == want.count && rows.count == 4)
        for (row, w) in zip(rows, want) {
            #expect(row["regularizer"] as? String == w["regularizer"])
            #expect(row["lr"] as? Double == w["lr"])
            #expect(row["qg_metric"] as? String == metric)
            #expect(row["qg_n"] as? Int == w["n"])
            let got = try #require(row["qg_mean"] as? Double, "qg_mean of \(row)")
            let expected: Double = w["qg_mean"]
            #expect(abs(got - expected) <= 1e-12 * max(1, abs(expected)), "\(metric) QG \(got) vs SQL \(expected)")
        }
    }

    @Test func theDistancesAreStoredAndExportQGIsTheirMeanDecrease() throws {
        let distanceColumns = ["fpd", "fpd_err", "kpd", "kpd_err", "kid", "w1_asym_along", "w1_asym_across", "w1_width_along",
                               "w1_width_across", "w1_sparsity"]
        #expect(try Sweeps.count(Self.results, "SELECT count(*) FROM epochs") == 32)
        #expect(try Sweeps.count(Self.results, "SELECT count(*) FROM epochs WHERE "
                                 + distanceColumns.map { "\($0) IS NULL" }.joined(separator: " OR ")) == 0)
        // The scripted FPD falls, so QG on it is positive ("improving"); the stored QG is it.
        #expect(try Sweeps.count(Self.results, "SELECT count(*) FROM trials WHERE state = 'completed' AND qg > 0") == 8)
        let exported = try json(["export", "qg"])
        try Self.expectEqual(exported, Self.sqlQG("fpd", distance: true), metric: "fpd")
        // --metric recomputes from the stored epochs on another series, and names it.
        try Self.expectEqual(try json(["export", "qg", "--metric", "phys_prd"]), Self.sqlQG("phys_prd", distance: false), metric: "phys_prd")
        try Self.expectEqual(try json(["export", "qg", "--metric", "kpd"]), Self.sqlQG("kpd", distance: true), metric: "kpd")
        // The default file name says which metric a recomputed export is on.
        let r = try Sweeps.lipsweep(["export", "qg", "--metric", "kid", "--results", Self.results.path])
        #expect(r.status == 0 && r.stdout.trimmingCharacters(in: .whitespacesAndNewlines).hasSuffix("exports/dq-qg-kid.csv"), "\(r.stdout)")
        let wrong = try Sweeps.lipsweep(["export", "epochs", "--metric", "fpd", "--results", Self.results.path])
        #expect(wrong.status == 2 && wrong.stderr.contains("--metric applies to `export qg` only"))
        let unknown = try Sweeps.lipsweep(["export", "qg", "--metric", "fid", "--results", Self.results.path, "--output", "-"])
        #expect(unknown.status == 2 && unknown.stdout.isEmpty && unknown.stderr.contains("'fid' is invalid for '--metric")
                && unknown.stderr.contains("log_fpd"), "\(unknown.stderr)")
    }

    /// log_fpd: QG on log₁₀ max(FPD, its error), decades per epoch, from the stored columns.
    @Test func exportQGOnTheLogarithmOfFPD() throws {
        let rows = try json(["export", "qg", "--metric", "log_fpd"])
        let perTrial = try Sweeps.database(Self.results).read { db in
            try Row.fetchAll(db, sql: """
                SELECT t.regularizer, t.lr, e1.fpd AS d1, e1.fpd_err AS s1, e4.fpd AS d4, e4.fpd_err AS s4
                FROM trials t JOIN epochs e1 ON e1.trial_id = t.id AND e1.epoch = 1 JOIN epochs e4 ON e4.trial_id = t.id AND e4.epoch = 4
                WHERE t.state = 'completed'
                """)
        }
        var groups: [String: [Double]] = [:]
        for r in perTrial {
            let d1: Double = r["d1"], s1: Double = r["s1"], d4: Double = r["d4"], s4: Double = r["s4"]
            let reg: String = r["regularizer"], lr: Double = r["lr"]
            groups["\(reg) \(lr)", default: []].append(-(log10(max(d4, s4)) - log10(max(d1, s1))) / 4)
        }
        #expect(rows.count == groups.count && rows.count == 4)
        for row in rows {
            let key = "\(row["regularizer"] as? String ?? "?") \(row["lr"] as? Double ?? .nan)"
            let want = try #require(groups[key], "no trials for \(key)")
            let mean = want.reduce(0, +) / Double(want.count)
            let got = try #require(row["qg_mean"] as? Double)
            #expect(row["qg_metric"] as? String == "log_fpd" && mean > 0)
            #expect(abs(got - mean) <= 1e-12 * max(1, abs(mean)), "\(key): \(got) vs \(mean)")
        }
    }

    @Test func queryAndPRDvsLCarryTheDistances() throws {
        let rows = try json(["query", "--columns", "number,last_fpd,best_fpd,last_kpd,best_kid", "--sort", "number"])
        let want = try Sweeps.database(Self.results).read { db in
            try Row.fetchAll(db, sql: """
                SELECT t.number, min(e.fpd) AS best_fpd, min(e.kid) AS best_kid,
                       (SELECT fpd FROM epochs WHERE trial_id = t.id ORDER BY epoch DESC LIMIT 1) AS last_fpd,
                       (SELECT kpd FROM epochs WHERE trial_id = t.id ORDER BY epoch DESC LIMIT 1) AS last_kpd
                FROM trials t JOIN epochs e ON e.trial_id = t.id GROUP BY t.id ORDER BY t.number
                """)
        }
        #expect(rows.count == want.count && rows.count == 8)
        for (row, w) in zip(rows, want) {
            for name in ["last_fpd", "best_fpd", "last_kpd", "best_kid"] {
                #expect(row[name] as? Double == w[name] as Double?, "#\(row["number"] ?? "?") \(name)")
            }
        }
        #expect(try json(["query", "--where", "best_fpd<0", "--columns", "number"]).isEmpty)
        let best = try json(["export", "prd-vs-l"])
        for (row, w) in zip(best.sorted { ($0["number"] as? Int ?? 0) < ($1["number"] as? Int ?? 0) }, want) {
            #expect(row["best_fpd"] as? Double == w["best_fpd"] as Double?)
            #expect(row["best_fpd_epoch"] is Int && row["best_fpd_lipschitz_bound"] is Double)
        }
    }

    @Test func theReportDrawsAppendixCAndTheDistanceCurves() throws {
        let out = Self.results.appendingPathComponent("dq.html")
        let r = try Sweeps.lipsweep(["report", "--results", Self.results.path, "--output", out.path])
        #expect(r.status == 0, "\(r.stderr)")
        let html = try String(contentsOf: out, encoding: .utf8)
        #expect(html.contains("Physics features of real and generated showers (Appendix C)"))
        for feature in ["asym_along", "asym_across", "width_along", "width_across", "sparsity"] {
            #expect(html.contains("aria-label=\"\(feature): #"), "no \(feature) plot")
        }
        // Beside the sweep's own metric (FPD), QG on log FPD and log KPD.
        for metric in ["log_fpd", "log_kpd"] {
            #expect(html.contains("QG on \(metric) vs learning rate: sn") && html.contains("QG on \(metric) vs learning rate: hinge"))
        }
        #expect(html.contains("QG vs learning rate: sn") && !html.contains("QG on fpd vs learning rate"))
    }

    @Test func aWorkerWithoutTheDistancesStillCompletes() throws {
        let dir = Repo.scratch("dq-old")
        defer { try? FileManager.default.removeItem(at: dir) }
        let results = dir.appendingPathComponent("results")
        let spec = Self.spec.replacingOccurrences(of: "metric: fpd", with: "metric: phys_prd")
            .replacingOccurrences(of: "seeds: [1, 2]", with: "seeds: [1]")
        let r = try Sweeps.lipsweep(["run", try Sweeps.writeSpec(spec, in: dir), "--results", results.path],
                                    env: ["FAKE_EPOCH_SECONDS": "0", "FAKE_OLD_WORKER": "1"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try Sweeps.count(results, "SELECT count(*) FROM trials WHERE state = 'completed' AND qg IS NOT NULL") == 4)
        #expect(try Sweeps.count(results, "SELECT count(*) FROM epochs WHERE fpd IS NOT NULL OR kpd IS NOT NULL OR w1_sparsity IS NOT NULL") == 0)
        #expect(try Sweeps.count(results, "SELECT count(*) FROM histograms") == 0)
        let report = try Sweeps.lipsweep(["report", "--results", results.path, "--output", dir.appendingPathComponent("r.html").path])
        #expect(report.status == 0, "\(report.stderr)")
        let html = try String(contentsOf: dir.appendingPathComponent("r.html"), encoding: .utf8)
        #expect(html.contains("their worker predates the histograms line") && !html.contains("QG on log_fpd"))
    }
}
