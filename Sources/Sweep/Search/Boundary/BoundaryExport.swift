import Foundation
import TrialProtocol

/// `lipsweep export boundary`: one row per combination of a boundary search — the paper's
/// Fig. 5 comparison as a table. Columns: the combination's own (`regularizer`, `loss`,
/// `margin`, `alpha`, `lambda`, then every other key that differs between combinations),
/// `status` (searching, blocked, bracketed, undecided, non-monotone, no-crossing), `note`
/// (which way there is no crossing, where the undecided points are, which point breaks the
/// order), `<axis>_lo`/`<axis>_hi` (the bracket: the largest point decided converging and the
/// smallest point above it decided not converging; either may be empty), `ratio` (= hi/lo),
/// at each end the seeds its decision rests on (`seeds_lo`), the mean QG of those with a QG
/// (`qg_lo_mean`) and the bounds compared with the threshold (`qg_lo_ci_low`,
/// `qg_lo_ci_high`: one-sided at `ci_confidence` each), the same at hi, `points`,
/// `undecided_points` and `trials` (what the combination took), `l_30_mean` (mean L₃₀ of the
/// ends' deciding trials), `two_over_l_30` (= 2 / l_30_mean) and `two_over_m` (hinge).
public func boundaryTable(_ search: BoundarySearch, trials: [TrialRecord]) -> TextTable {
    let (keyColumns, keyCells) = search.combinationColumns()
    let axis = search.axisName
    var table = TextTable(columns: keyColumns + [
        "status", "note", "\(axis)_lo", "\(axis)_hi", "ratio",
        "seeds_lo", "qg_lo_mean", "qg_lo_ci_low", "qg_lo_ci_high", "seeds_hi", "qg_hi_mean", "qg_hi_ci_low", "qg_hi_ci_high",
        "ci_confidence", "points", "undecided_points", "trials", "l_30_mean", "two_over_l_30", "two_over_m",
    ])
    func opt(_ x: Double?) -> TextTable.Cell { x.map(TextTable.Cell.number) ?? .null }
    func end(_ p: CombinationProgress.Point?) -> [TextTable.Cell] {
        guard let p else { return [.null, .null, .null, .null] }
        return [.int(p.seedsUsed), opt(p.meanQG), opt(p.bounds?.low), opt(p.bounds?.high)]
    }
    for c in search.progress(trials) {
        let ends = [c.loPoint, c.hiPoint].compactMap { $0 }
        let lMean = mean(ends.flatMap(\.decidingTrials).compactMap(\.l30))
        table.rows.append(keyCells(c.template) + [
            .text(c.outcome.status), c.note(search.axisName).map(TextTable.Cell.text) ?? .null,
            opt(c.lo), opt(c.hi), opt(c.bracket.map { $0.hi / $0.lo }),
        ] + end(c.loPoint) + end(c.hiPoint) + [
            .number(search.boundConfidence), .int(c.points.count), .int(c.undecidedPoints.count), .int(c.trials.count),
            opt(lMean), opt(lMean.map { 2 / $0 }), opt(c.template.training.margin.map { 2 / $0 }),
        ])
    }
    return table
}

extension CombinationProgress {
    /// The export's `note`: what the status alone does not say.
    func note(_ axis: String) -> String? {
        let list = { (points: [Point]) in "\(axis) " + points.map { formatNumber($0.value) }.joined(separator: ", ") }
        switch outcome {
        case .blocked: return outcome.text
        case .convergesEverywhere: return "converges at every point"
        case .convergesNowhere: return "converges at no point"
        case .nonMonotone:
            let decided = points.filter { $0.converges != nil }
            let low = decided.filter { n in n.converges == false && decided.contains { $0.converges == true && $0.value > n.value } }
            return "not converging at \(list(low)), below a converging point"
        case .undecided, .bracketed:
            let undecided = undecidedPoints
            return undecided.isEmpty ? nil : "undecided at \(list(undecided))"
        case .searching, .bisecting: return isNonMonotone ? "non-monotone so far" : nil
        }
    }
}
