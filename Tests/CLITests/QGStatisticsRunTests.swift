import Foundation
import GRDB
import Sweep
import Testing

/// Issue 22 end to end with the scripted worker: intervals with one seed, `qg.estimator`
/// deciding the boundary search, the Optuna objective and `export qg`.
@Suite(.serialized) struct QGEstimatorRunTests {
    /// One point per learning rate of a boundary search on sn; FAKE_DISAGREE = 0.05 makes the
    /// endpoints QG positive and the slope negative below lr 0.05, and the reverse above.
    static func spec(estimator: String?) -> String {
        "name: est\n" + """
            dataset: {train: 64, test: 32}
            training: {epochs: 4}
            evaluation: {clusters: 4, prd_runs: 1}
            qg: {epochs: 4\(estimator.map { ", estimator: \($0)" } ?? "")}
            grid:
              regularizer: [sn]
            search: {kind: boundary, axis: lr, range: [0.01, 1.0], initial: 3, resolution: 1.5, threshold: 0}
            seeds: [1]
            executor: {workers: 2, retries: 0}
            """
    }
    static let env = ["FAKE_DISAGREE": "0.05", "FAKE_EPOCH_SECONDS": "0"]

    static func run(_ name: String, estimator: String?) throws -> URL {
        let dir = Repo.scratch(name)
        let results = dir.appendingPathComponent("results")
        let r = try Sweeps.lipsweep(["run", try Sweeps.writeSpec(spec(estimator: estimator), in: dir), "--results", results.path], env: env)
        #expect(r.status == 0, "\(r.stderr)")
        return results
    }

    static func export(_ kind: String, _ results: URL, _ extra: [String] = []) throws -> [[String: Any]] {
        let r = try Sweeps.lipsweep(["export", kind, "--results", results.path, "--format", "json", "--output", "-"] + extra)
        #expect(r.status == 0, "\(r.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
    }

    /// The objective values of the Optuna export, by trial (`value` of each trial line).
    static func optunaValues(_ results: URL) throws -> [Double] {
        let r = try Sweeps.lipsweep(["export", "optuna", "--results", results.path, "--objective", "qg", "--output", "-"])
        #expect(r.status == 0, "\(r.stderr)")
        return r.stdout.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["value"] as? Double
        }.sorted()
    }

    @Test func theEstimatorDecidesTheBoundaryTheObjectiveAndTheExport() throws {
        let endpoints = try Self.run("est-endpoints", estimator: nil)
        let slope = try Self.run("est-slope", estimator: "slope")
        // The scripted trials: both figures stored, of opposite signs, at every point.
        let pairs = try Sweeps.database(endpoints).read { db in try Row.fetchAll(db, sql: "SELECT lr, qg, qg_slope FROM trials") }
        #expect(!pairs.isEmpty)
        for row in pairs {
            let lr: Double = row["lr"], qg: Double = row["qg"], s: Double = row["qg_slope"]
            #expect(qg * s < 0 && (lr < 0.05) == (qg > 0), "\(row)")
        }
        // Endpoints (the default): converging below 0.05, so the bracket holds 0.05.
        let byEndpoints = try #require(try Self.export("boundary", endpoints).first)
        let lo = byEndpoints["lr_lo"] as? Double ?? .nan, hi = byEndpoints["lr_hi"] as? Double ?? .nan
        #expect(byEndpoints["status"] as? String == "bracketed" && lo < 0.05 && 0.05 < hi, "\(byEndpoints)")
        // Slope: converging above 0.05 only, up to the top of the range: no bracket at 0.05, and
        // points that do not converge below one that does (flagged, docs/science.md §8.1).
        let bySlope = try #require(try Self.export("boundary", slope).first)
        #expect(bySlope["status"] as? String == "non-monotone" && bySlope["lr_hi"] is NSNull, "\(bySlope)")
        #expect(bySlope["trials"] as? Int == 3)
        // The Optuna objective `qg` is the chosen figure.
        let stored = { (results: URL, column: String) in
            try Sweeps.database(results).read { db in try Double.fetchAll(db, sql: "SELECT \(column) FROM trials WHERE state = 'completed'") }.sorted()
        }
        func same(_ a: [Double], _ b: [Double]) -> Bool {
            a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= 1e-12 * max(abs($0), abs($1)) }
        }
        let (fromEndpoints, fromSlope) = (try Self.optunaValues(endpoints), try Self.optunaValues(slope))
        #expect(same(fromEndpoints, try stored(endpoints, "qg")), "\(fromEndpoints)")
        #expect(same(fromSlope, try stored(slope, "qg_slope")), "\(fromSlope)")
        // export qg names the estimator; its columns keep their meaning.
        let qg = try Self.export("qg", slope)
        #expect(qg.allSatisfy { $0["qg_estimator"] as? String == "slope" })
        let low = try #require(qg.first { ($0["lr"] as? Double) == 0.01 })
        #expect((low["qg_mean"] as? Double ?? 0) > 0 && (low["qg_slope_mean"] as? Double ?? 0) < 0)
        #expect(try Self.export("qg", endpoints).allSatisfy { $0["qg_estimator"] as? String == "endpoints" })
        // status says which QG it shows and decides on.
        let status = try Sweeps.lipsweep(["status", "--results", slope.path])
        #expect(status.stdout.contains("QG (slope, phys_prd) per grid point") && status.stdout.contains("mean QG (slope) over 1 seed(s)"),
                "\(status.stdout)")
    }

    /// With one seed there is no interval: NULL in the export, and status claims nothing.
    @Test func oneSeedHasNoInterval() throws {
        let (_, results, spec) = try Sweeps.smokeSetup("one-seed-ci")
        #expect(try Sweeps.lipsweep(["run", spec, "--results", results.path]).status == 0)
        let rows = try Self.export("qg", results)
        #expect(rows.count == 4)
        for row in rows {
            #expect(row["qg_n"] as? Int == 1 && row["qg_slope_n"] as? Int == 1)
            for column in ["qg_ci_low", "qg_ci_high", "qg_slope_ci_low", "qg_slope_ci_high", "qg_sd", "qg_slope_sd"] {
                #expect(row[column] is NSNull, "\(column): \(row)")
            }
        }
        let status = try Sweeps.lipsweep(["status", "--results", results.path])
        #expect(status.stdout.contains("(no interval) n=1") && status.stdout.contains("no interval with one seed")
                && !status.stdout.contains("(95 % intervals separate)"), "\(status.stdout)")
    }
}

/// `lipsweep report`'s QG plots draw the 95 % t-intervals of `export qg` as error bars.
@Suite struct QGReportIntervalTests {
    /// The two bars of the sn plot stand in the ratio of the intervals' half-widths (the plot's
    /// scale cancels). lr 1e-3 has 3 seeds, lr 1e-2 two (seed 3 diverges), so the t factors
    /// differ (4.30 and 12.71) and bars of ± sd would stand in another ratio.
    @Test func qgErrorBarsAreTheTIntervals() throws {
        let dir = Repo.scratch("report-ci")
        let results = dir.appendingPathComponent("results")
        let spec = try Sweeps.writeSpec("name: rci\n" + Sweeps.tinyHeader + "\ngrid:\n  regularizer: [sn]\n  lr: [1e-3, 1e-2]\nseeds: [1, 2, 3]\nexecutor: {workers: 2, retries: 0}\n", in: dir)
        let env = ["FAKE_IID_SEED": "5", "FAKE_EPOCH_SECONDS": "0", "FAKE_DIVERGE_LR": "1e-2", "FAKE_DIVERGE_SEED": "3"]
        #expect(try Sweeps.lipsweep(["run", spec, "--results", results.path], env: env).status == 0)
        let r = try Sweeps.lipsweep(["report", "--results", results.path])
        #expect(r.status == 0, "\(r.stderr)")
        let html = try String(contentsOfFile: r.stdout.trimmingCharacters(in: .whitespacesAndNewlines), encoding: .utf8)
        #expect(html.contains("bars: 95 % t-interval (seeds)") && html.contains("two-sided 95 % Student-t interval"))
        let svg = try #require(html.components(separatedBy: "<svg ").first { $0.contains("QG vs learning rate: sn") })
        let bar = try Regex(##"<line x1="([0-9.]+)" y1="([0-9.]+)" x2="[0-9.]+" y2="([0-9.]+)" stroke="#[0-9a-f]+"/><circle"##)
        let bars = svg.matches(of: bar).map { m -> (x: Double, half: Double) in
            (Double(m.output[1].substring!)!, abs(Double(m.output[3].substring!)! - Double(m.output[2].substring!)!) / 2)
        }.sorted { $0.x < $1.x }
        #expect(bars.count == 2, "\(svg)")
        let rows = try QGEstimatorRunTests.export("qg", results).sorted { ($0["lr"] as! Double) < ($1["lr"] as! Double) }
        #expect(rows.map { $0["qg_n"] as? Int } == [3, 2])
        let halves = rows.map { ($0["qg_ci_high"] as! Double) - ($0["qg_mean"] as! Double) }
        let sds = rows.map { $0["qg_sd"] as! Double }
        guard bars.count == 2, halves.count == 2 else { return }
        let drawn = bars[0].half / bars[1].half
        // Pixel coordinates are written to 0.1: the ratio is good to about 0.1 / the shorter bar.
        let tolerance = 0.1 / min(bars[0].half, bars[1].half) * (1 + drawn)
        #expect(min(bars[0].half, bars[1].half) > 5, "bars long enough to measure: \(bars)")
        #expect(abs(drawn - halves[0] / halves[1]) <= tolerance, "bars \(drawn) vs intervals \(halves[0] / halves[1])")
        #expect(abs(drawn - sds[0] / sds[1]) > tolerance, "bars \(drawn) vs sd \(sds[0] / sds[1])")
    }
}
