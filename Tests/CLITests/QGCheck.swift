import Foundation
import GRDB
import Testing

/// `lipsweep export qg` against an independent SQL computation on the public schema.
enum QGCheck {
    /// Per regularizer × margin × α × λ × lr over finished trials; two-pass variance
    /// (Σ(x − x̄)² / (n − 1)) so the reference itself is accurate.
    static let sql = """
        WITH f AS (SELECT * FROM trials WHERE state IN ('completed', 'diverged')),
        g AS (SELECT regularizer, margin, alpha, lambda, lr, count(*) AS trials, count(qg) AS qg_n, avg(qg) AS qg_mean,
                     avg(qg_slope) AS slope, avg(l_30) AS l30, avg(lr_within_bound) AS within,
                     avg(state = 'diverged') AS diverged
              FROM f GROUP BY regularizer, margin, alpha, lambda, lr)
        SELECT g.*, (SELECT sum((f.qg - g.qg_mean) * (f.qg - g.qg_mean)) FROM f
                     WHERE f.regularizer = g.regularizer AND f.margin IS g.margin AND f.alpha IS g.alpha
                       AND f.lambda IS g.lambda AND f.lr = g.lr) / (g.qg_n - 1) AS qg_var
        FROM g ORDER BY regularizer, margin, alpha, lambda, lr
        """

    /// `rows`: the export as parsed JSON objects, in the export's order.
    static func expectExportEqualsSQL(_ rows: [[String: Any]], results: URL) throws {
        let expected = try Sweeps.database(results).read { db in try Row.fetchAll(db, sql: sql) }
        #expect(rows.count == expected.count)
        func close(_ a: Any?, _ b: Double?, _ what: String) {
            let x = (a as? NSNumber)?.doubleValue
            if let b { #expect(x != nil && abs(x! - b) <= 1e-12 * max(1, abs(b)), "\(what): \(String(describing: x)) vs \(b)") }
            else { #expect(x == nil, "\(what) should be null") }
        }
        for (row, want) in zip(rows, expected) {
            #expect(row["regularizer"] as? String == want["regularizer"])
            close(row["margin"], want["margin"], "margin")
            close(row["alpha"], want["alpha"], "alpha")
            close(row["lr"], want["lr"], "lr")
            close(row["trials"], want["trials"], "trials")
            close(row["qg_n"], want["qg_n"], "qg_n")
            close(row["qg_mean"], want["qg_mean"], "qg_mean")
            close(row["qg_sd"], (want["qg_var"] as Double?).map { max(0, $0).squareRoot() }, "qg_sd")
            close(row["qg_slope_mean"], want["slope"], "qg_slope_mean")
            close(row["l_30_mean"], want["l30"], "l_30_mean")
            close(row["two_over_l_30"], (want["l30"] as Double?).map { 2 / $0 }, "two_over_l_30")
            close(row["two_over_m"], (want["margin"] as Double?).map { 2 / $0 }, "two_over_m")
            close(row["within_bound_fraction"], want["within"], "within_bound_fraction")
            close(row["diverged_fraction"], want["diverged"], "diverged_fraction")
        }
    }
}
