import Foundation
import TrialProtocol
import UserErrors

/// The CSV exports of a sweep (`lipsweep export KIND`).
public enum Export: String, CaseIterable, Sendable {
    /// One row per regularizer × margin × α × λ × lr over seeds: the paper's Figs. 4–5.
    case qg
    /// Long format: one row per trial × epoch.
    case epochs
    /// One row per trial: its best PRD and the Lipschitz bound it had then (Figs. 2–3).
    case prdVsL = "prd-vs-l"

    /// `metric` (`qg` only): QG recomputed from the stored epochs on that series instead of
    /// each trial's own `qg.metric`.
    public func table(store: any TrialStoreReader, sweepID: Int64, metric: QualityMetric? = nil) throws -> TextTable {
        switch self {
        case .qg:
            let trials = try store.trials(sweepID: sweepID)
            guard let metric else { return qgTable(trials) }
            return qgTable(trials, metric: metric, epochs: try store.epochs(sweepID: sweepID))
        case .epochs: return epochsTable(try TrialSummary.all(store, sweepID: sweepID))
        case .prdVsL: return prdVsLTable(try TrialSummary.all(store, sweepID: sweepID))
        }
    }
}

/// `lipsweep export <kind>` of a search kind (`export boundary`): the table of the sweep's
/// search, which must be of that kind.
public func searchExport(kind: String, store: any TrialStoreReader, sweep: SweepRecord) throws -> TextTable {
    let search = try sweep.search()
    guard type(of: search).kind == kind, let table = search.exportTable(try store.trials(sweepID: sweep.id)) else {
        throw InvalidInput("sweep \"\(sweep.name)\" has no \(kind) search; `export \(kind)` needs a spec with `search: {kind: \(kind), …}`")
    }
    return table
}

/// A grid point of `export qg`: the trials' regularizer, model family, loss, regularizer
/// parameters and learning rate (every other key is the same across a sweep's seeds).
struct QGPointKey: Hashable, Comparable {
    var regularizer, arch, loss: String; var margin, alpha, lambda: Double?; var lr: Double

    init(_ t: TrialRecord) {
        regularizer = t.regularizer.rawValue; arch = t.arch.rawValue; loss = t.loss.rawValue
        margin = t.margin; alpha = t.alpha; lambda = t.lambda; lr = t.lr
    }

    static func < (a: Self, b: Self) -> Bool {
        if (a.regularizer, a.arch, a.loss) != (b.regularizer, b.arch, b.loss) { return (a.regularizer, a.arch, a.loss) < (b.regularizer, b.arch, b.loss) }
        return (a.margin ?? -1, a.alpha ?? -1, a.lambda ?? -1, a.lr) < (b.margin ?? -1, b.alpha ?? -1, b.lambda ?? -1, b.lr)
    }

    /// The point without its learning rate: one QG-against-lr curve.
    var curve: QGPointKey { var c = self; c.lr = 0; return c }
}

/// The finished (completed, diverged or pruned) trials grouped by grid point, in export order.
func qgPoints(_ trials: [TrialRecord]) -> [(key: QGPointKey, trials: [TrialRecord])] {
    var groups: [QGPointKey: [TrialRecord]] = [:]
    for t in trials where t.state.isFinished { groups[QGPointKey(t), default: []].append(t) }
    return groups.keys.sorted().map { ($0, groups[$0]!) }
}

/// Per group of finished (completed or diverged) trials:
/// - qg_n, qg_mean, qg_sd: seeds with a QG, their mean and sample standard deviation (n − 1)
/// - qg_slope_mean: mean least-squares slope
/// - l_30_mean: mean L_30; two_over_l_30 = 2 / l_30_mean; two_over_m = 2/m (hinge)
/// - within_bound_fraction: share of trials with lr ≤ 2/L_30 among those with an L_30
/// - diverged_fraction: share of finished trials that diverged
/// - qg_metric: the series QG is on (each trial's `qg.metric`, or `metric` when given: then QG
///   and qg_slope are recomputed from the stored `epochs` over each trial's QG window, as the
///   scheduler computes them; for a distance, the mean per-epoch decrease)
/// Appended (issue 22): the two-sided 95 % Student-t interval of the mean, mean ± t_{0.975, n−1}·sd/√n
/// (`SeedInterval`; NULL below 2 seeds): `qg_ci_low`, `qg_ci_high`; the same for the slope:
/// `qg_slope_n`, `qg_slope_sd`, `qg_slope_ci_low`, `qg_slope_ci_high`; and `qg_estimator`, the
/// trials' `qg.estimator`: which of the two column families (`qg_*` = endpoints, `qg_slope_*` =
/// slope) the sweep's decisions use. The names never change meaning with the estimator.
public func qgTable(_ trials: [TrialRecord], metric: QualityMetric? = nil, epochs: [Int64: [EpochRecord]] = [:]) -> TextTable {
    /// The trial's QG figures on the chosen series.
    func gain(_ t: TrialRecord) -> (qg: Double?, slope: Double?, metric: QualityMetric) {
        guard let metric else { return (t.qg, t.qgSlope, t.config.qg.metric) }
        let q = TrialQualityGain.compute(epochs: epochs[t.id] ?? [], window: t.config.qg.epochs, metric: metric, lr: t.lr, margin: t.margin)
        return (q.qg, q.qgSlope, metric)
    }
    var table = TextTable(columns: ["regularizer", "arch", "loss", "margin", "alpha", "lambda", "lr", "qg_metric", "trials", "qg_n", "qg_mean", "qg_sd",
                                    "qg_slope_mean", "l_30_mean", "two_over_l_30", "two_over_m", "within_bound_fraction",
                                    "diverged_fraction", "qg_ci_low", "qg_ci_high", "qg_slope_n", "qg_slope_sd", "qg_slope_ci_low",
                                    "qg_slope_ci_high", "qg_estimator"])
    func opt(_ x: Double?) -> TextTable.Cell { x.map(TextTable.Cell.number) ?? .null }
    for (key, group) in qgPoints(trials) {
        let gains = group.map(gain)
        let qgs = gains.compactMap(\.qg), slopes = gains.compactMap(\.slope)
        let qgInterval = SeedInterval(qgs)?.twoSided(), slopeInterval = SeedInterval(slopes)?.twoSided()
        let l30s = group.compactMap(\.l30)
        let bounds = group.compactMap(\.lrWithinBound)
        let lMean = mean(l30s)
        table.rows.append([
            .text(key.regularizer), .text(key.arch), .text(key.loss), opt(key.margin), opt(key.alpha), opt(key.lambda), .number(key.lr),
            .text(Set(gains.map(\.metric.rawValue)).sorted().joined(separator: "+")),
            .int(group.count), .int(qgs.count), opt(mean(qgs)), opt(sampleSD(qgs)), opt(mean(slopes)),
            opt(lMean), opt(lMean.map { 2 / $0 }), opt(key.margin.map { 2 / $0 }),
            opt(bounds.isEmpty ? nil : Double(bounds.filter { $0 }.count) / Double(bounds.count)),
            .number(Double(group.filter { $0.state == .diverged }.count) / Double(group.count)),
            opt(qgInterval?.low), opt(qgInterval?.high), .int(slopes.count), opt(sampleSD(slopes)), opt(slopeInterval?.low),
            opt(slopeInterval?.high), .text(Set(group.map(\.config.qg.qgEstimator.rawValue)).sorted().joined(separator: "+")),
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

/// The trial columns that lead every per-trial export row.
private let trialColumns = ["number", "config_hash", "regularizer", "loss", "margin", "alpha", "lambda", "lr", "seed", "state"]

private func trialCells(_ t: TrialRecord) -> [TextTable.Cell] {
    func opt(_ x: Double?) -> TextTable.Cell { x.map(TextTable.Cell.number) ?? .null }
    return [.int(t.number), .text(t.configHash), .text(t.regularizer.rawValue), .text(t.loss.rawValue), opt(t.margin), opt(t.alpha),
            opt(t.lambda), .number(t.lr), .int(t.seed), .text(t.state.rawValue)]
}

/// Long format: one row per trial × epoch, every EpochField (k_json after k_product).
private func epochsTable(_ summaries: [TrialSummary]) -> TextTable {
    let fields = EpochField.allCases
    let split = fields.firstIndex(of: .kProduct)! + 1
    var table = TextTable(columns: trialColumns + ["epoch"] + fields[..<split].map(\.column) + ["k_json"] + fields[split...].map(\.column))
    for summary in summaries {
        for e in summary.epochs.sorted(by: { $0.epoch < $1.epoch }) {
            let values = fields.map { e[$0].map(TextTable.Cell.number) ?? .null }
            let k = TextTable.Cell.text(String(decoding: (try? JSONEncoder().encode(e.k)) ?? Data("[]".utf8), as: UTF8.self))
            table.rows.append(trialCells(summary.trial) + [.int(e.epoch)] + values[..<split] + [k] + values[split...])
        }
    }
    return table
}

/// Best PRD = max over epochs of min(raw_prd, phys_prd) (the quality score of
/// docs/science.md §6); the achieved L is the Lipschitz bound at that epoch (earliest epoch on
/// ties). Likewise the lowest FPD and KPD (§6.1) and the bound at their epochs. One row per
/// trial that has an evaluated epoch.
private func prdVsLTable(_ summaries: [TrialSummary]) -> TextTable {
    var table = TextTable(columns: ["regularizer", "arch", "loss", "margin", "alpha", "lambda", "lr", "seed", "number", "state",
                                    "best_prd", "best_epoch", "raw_prd", "phys_prd", "lipschitz_bound", "lipschitz_empirical", "k_product",
                                    "best_fpd", "best_fpd_epoch", "best_fpd_lipschitz_bound",
                                    "best_kpd", "best_kpd_epoch", "best_kpd_lipschitz_bound"])
    func opt(_ x: Double?) -> TextTable.Cell { x.map(TextTable.Cell.number) ?? .null }
    /// The epoch where `value` is best (highest, or lowest for a distance), earliest on ties.
    func best(_ epochs: [EpochRecord], lowest: Bool, _ value: (EpochRecord) -> Double?) -> (EpochRecord, Double)? {
        epochs.compactMap { e in value(e).map { (e, $0) } }
            .min { $0.1 != $1.1 ? (lowest ? $0.1 < $1.1 : $0.1 > $1.1) : $0.0.epoch < $1.0.epoch }
    }
    let ordered = summaries.sorted { a, b in
        let keys: [(TextTable.Cell, TextTable.Cell)] = [
            (.text(a.trial.regularizer.rawValue), .text(b.trial.regularizer.rawValue)),
            (.text(a.trial.arch.rawValue), .text(b.trial.arch.rawValue)), (.text(a.trial.loss.rawValue), .text(b.trial.loss.rawValue)),
            (opt(a.trial.margin), opt(b.trial.margin)), (opt(a.trial.alpha), opt(b.trial.alpha)), (opt(a.trial.lambda), opt(b.trial.lambda)),
            (.number(a.trial.lr), .number(b.trial.lr)), (.int(a.trial.seed), .int(b.trial.seed))]
        for (x, y) in keys { let o = TrialQuery.sortOrder(x, y); if o != 0 { return o < 0 } }
        return false
    }
    for summary in ordered {
        guard let (e, score) = best(summary.epochs, lowest: false, TrialSummary.score) else { continue }
        let fpd = best(summary.epochs, lowest: true) { $0.metric(.fpd) }
        let kpd = best(summary.epochs, lowest: true) { $0.metric(.kpd) }
        let t = summary.trial
        table.rows.append([.text(t.regularizer.rawValue), .text(t.arch.rawValue), .text(t.loss.rawValue), opt(t.margin), opt(t.alpha),
                           opt(t.lambda), .number(t.lr), .int(t.seed), .int(t.number), .text(t.state.rawValue),
                           .number(score), .int(e.epoch), opt(e.rawPRD), opt(e.physPRD), opt(e.lipschitzBound), opt(e[.lipschitzEmpirical]),
                           opt(e[.kProduct]),
                           opt(fpd?.1), fpd.map { .int($0.0.epoch) } ?? .null, opt(fpd?.0.lipschitzBound),
                           opt(kpd?.1), kpd.map { .int($0.0.epoch) } ?? .null, opt(kpd?.0.lipschitzBound)])
    }
    return table
}
