import Foundation
import TrialProtocol

/// `lipsweep export boundary`: one row per combination of a boundary search — the paper's
/// Fig. 5 comparison as a table. Columns: the combination's own (`regularizer`, `loss`,
/// `margin`, `alpha`, `lambda`, then every other key that differs between combinations),
/// `status` (searching, bracketed, no crossing …), `<axis>_lo`/`<axis>_hi` (the bracket: the
/// largest converging point and the next larger point run; empty when there is no crossing),
/// `ratio` (= hi/lo), `qg_lo_mean`/`qg_hi_mean` (mean QG of the bracket's ends), `points` and
/// `trials` (what the combination took), `l_30_mean` (mean L₃₀ of the bracket's trials),
/// `two_over_l_30` (= 2 / l_30_mean) and `two_over_m` (hinge).
public func boundaryTable(_ search: BoundarySearch, trials: [TrialRecord]) -> TextTable {
    let (keyColumns, keyCells) = search.combinationColumns()
    let axis = search.axisName
    var table = TextTable(columns: keyColumns + ["status", "\(axis)_lo", "\(axis)_hi", "ratio", "qg_lo_mean", "qg_hi_mean",
                                                 "points", "trials", "l_30_mean", "two_over_l_30", "two_over_m"])
    func opt(_ x: Double?) -> TextTable.Cell { x.map(TextTable.Cell.number) ?? .null }
    for c in search.progress(trials) {
        let ends = c.bracketPoints
        let lMean = mean(ends.flatMap(\.trials).compactMap(\.l30))
        table.rows.append(keyCells(c.template) + [
            .text(c.outcome.text), opt(c.bracket?.lo), opt(c.bracket?.hi), opt(c.bracket.map { $0.hi / $0.lo }),
            opt(ends.first?.meanQG), opt(ends.count == 2 ? ends[1].meanQG : nil),
            .int(c.points.count), .int(c.trials.count), opt(lMean), opt(lMean.map { 2 / $0 }),
            opt(c.template.training.margin.map { 2 / $0 }),
        ])
    }
    return table
}
