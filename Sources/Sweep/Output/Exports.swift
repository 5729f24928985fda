import Foundation
import GRDB

/// The CSV exports of a sweep (`lipsweep export KIND`).
public enum Export: String, CaseIterable, Sendable {
    /// One row per regularizer × margin × α × λ × lr over seeds: the paper's Figs. 4–5.
    case qg
    /// Long format: one row per trial × epoch.
    case epochs
    /// One row per trial: its best PRD and the Lipschitz bound it had then (Figs. 2–3).
    case prdVsL = "prd-vs-l"

    public func table(store: SQLiteTrialStore, sweepID: Int64) throws -> TextTable {
        switch self {
        case .qg: return try qgTable(store.trials(sweepID: sweepID))
        case .epochs: return try epochsTable(store, sweepID)
        case .prdVsL: return try prdVsLTable(store, sweepID)
        }
    }
}

/// Per group of finished (completed or diverged) trials:
/// - qg_mean, qg_sd: mean and sample standard deviation (n − 1) of QG over trials with a QG
/// - l_30_mean: mean L_30; two_over_l_30 = 2 / l_30_mean; two_over_m = 2/m (hinge)
/// - within_bound_fraction: share of trials with lr ≤ 2/L_30 among those with an L_30
/// - diverged_fraction: share of finished trials that diverged
public func qgTable(_ trials: [TrialRecord]) -> TextTable {
    struct Key: Hashable { var regularizer: String; var margin, alpha, lambda: Double?; var lr: Double }
    var groups: [Key: [TrialRecord]] = [:]
    for t in trials where t.state.isFinished {
        groups[Key(regularizer: t.regularizer, margin: t.margin, alpha: t.alpha, lambda: t.lambda, lr: t.lr), default: []].append(t)
    }
    let order = groups.keys.sorted {
        ($0.regularizer, $0.margin ?? -1, $0.alpha ?? -1, $0.lambda ?? -1, $0.lr) < ($1.regularizer, $1.margin ?? -1, $1.alpha ?? -1, $1.lambda ?? -1, $1.lr)
    }
    var table = TextTable(columns: ["regularizer", "margin", "alpha", "lambda", "lr", "trials", "qg_n", "qg_mean", "qg_sd",
                                    "qg_slope_mean", "l_30_mean", "two_over_l_30", "two_over_m", "within_bound_fraction",
                                    "diverged_fraction"])
    func opt(_ x: Double?) -> TextTable.Cell { x.map(TextTable.Cell.number) ?? .null }
    for key in order {
        let group = groups[key]!
        let qgs = group.compactMap(\.qg)
        let l30s = group.compactMap(\.l30)
        let bounds = group.compactMap(\.lrWithinBound)
        let lMean = mean(l30s)
        table.rows.append([
            .text(key.regularizer), opt(key.margin), opt(key.alpha), opt(key.lambda), .number(key.lr),
            .int(group.count), .int(qgs.count), opt(mean(qgs)), opt(sampleSD(qgs)), opt(mean(group.compactMap(\.qgSlope))),
            opt(lMean), opt(lMean.map { 2 / $0 }), opt(key.margin.map { 2 / $0 }),
            opt(bounds.isEmpty ? nil : Double(bounds.filter { $0 }.count) / Double(bounds.count)),
            .number(Double(group.filter { $0.state == .diverged }.count) / Double(group.count)),
        ])
    }
    return table
}

func mean(_ xs: [Double]) -> Double? { xs.isEmpty ? nil : xs.reduce(0, +) / Double(xs.count) }

/// √(Σ(x − x̄)² / (n − 1)); nil for fewer than 2 values.
func sampleSD(_ xs: [Double]) -> Double? {
    guard xs.count > 1, let m = mean(xs) else { return nil }
    return (xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(xs.count - 1)).squareRoot()
}

private func epochsTable(_ store: SQLiteTrialStore, _ sweepID: Int64) throws -> TextTable {
    let columns = ["number", "config_hash", "regularizer", "loss", "margin", "alpha", "lambda", "lr", "seed", "state", "epoch",
                   "d_loss", "g_loss", "reg_loss", "raw_prd", "phys_prd", "lipschitz_bound", "lipschitz_empirical", "k_product",
                   "k_json", "train_seconds", "eval_seconds"]
    let sql = """
        SELECT t.number, t.config_hash, t.regularizer, t.loss, t.margin, t.alpha, t.lambda, t.lr, t.seed, t.state, e.epoch,
               e.d_loss, e.g_loss, e.reg_loss, e.raw_prd, e.phys_prd, e.lipschitz_bound, e.lipschitz_empirical, e.k_product,
               e.k_json, e.train_seconds, e.eval_seconds
        FROM epochs e JOIN trials t ON t.id = e.trial_id WHERE t.sweep_id = ? ORDER BY t.number, e.epoch
        """
    let rows = try store.read { db in try Row.fetchAll(db, sql: sql, arguments: [sweepID]) }
    return TextTable(columns: columns, rows: rows.map { row in columns.indices.map { cell(row[$0]) } })
}

/// Best PRD = max over epochs of min(raw_prd, phys_prd) (the quality score of SPEC §6); the
/// achieved L is the Lipschitz bound at that epoch (earliest epoch on ties).
private func prdVsLTable(_ store: SQLiteTrialStore, _ sweepID: Int64) throws -> TextTable {
    let columns = ["regularizer", "margin", "alpha", "lambda", "lr", "seed", "number", "state", "best_prd", "best_epoch",
                   "raw_prd", "phys_prd", "lipschitz_bound", "lipschitz_empirical", "k_product"]
    let sql = """
        SELECT t.regularizer, t.margin, t.alpha, t.lambda, t.lr, t.seed, t.number, t.state,
               min(e.raw_prd, e.phys_prd) AS best_prd, e.epoch, e.raw_prd, e.phys_prd, e.lipschitz_bound,
               e.lipschitz_empirical, e.k_product
        FROM trials t JOIN epochs e ON e.trial_id = t.id
        WHERE t.sweep_id = ? AND e.epoch = (
            SELECT e2.epoch FROM epochs e2 WHERE e2.trial_id = t.id AND e2.raw_prd IS NOT NULL AND e2.phys_prd IS NOT NULL
            ORDER BY min(e2.raw_prd, e2.phys_prd) DESC, e2.epoch ASC LIMIT 1)
        ORDER BY t.regularizer, t.margin, t.alpha, t.lambda, t.lr, t.seed
        """
    let rows = try store.read { db in try Row.fetchAll(db, sql: sql, arguments: [sweepID]) }
    return TextTable(columns: columns, rows: rows.map { row in columns.indices.map { cell(row[$0]) } })
}
