import Foundation
import TrialProtocol

/// The `status` lines about QG: every grid point's mean QG over its seeds with its two-sided
/// 95 % Student-t interval (the sweep's `qg.estimator`, `TrialRecord.decisionQG`), then the
/// differences that matter to the question a sweep asks — between neighbouring learning rates
/// of one curve, and between curves at one learning rate — each phrased as an effect only when
/// the two intervals separate (`SeedInterval.separate`), else "within seed noise". With one
/// seed a point has no interval, and nothing is claimed about it. Nil before any trial has a QG.
func qgStatus(_ trials: [TrialRecord]) -> String? {
    struct Point { var key: QGPointKey; var label: String; var interval: SeedInterval }
    let points = qgPoints(trials).compactMap { key, group in
        SeedInterval(group.compactMap(\.decisionQG)).map { Point(key: key, label: curveLabel(group[0]), interval: $0) }
    }
    guard let first = trials.first(where: { $0.decisionQG != nil }) else { return nil }
    let estimator = first.config.qg.qgEstimator, metric = first.config.qg.metric

    func shown(_ i: SeedInterval) -> String {
        let ci = i.twoSided().map { "[\(formatNumber($0.low)), \(formatNumber($0.high))]" } ?? "(no interval)"
        return "\(formatNumber(i.mean)) \(ci) n=\(i.count)"
    }
    /// How `b` compares with `a`.
    func difference(_ a: SeedInterval, _ b: SeedInterval) -> String {
        if a.count < 2 || b.count < 2 { return "no interval with one seed" }
        guard SeedInterval.separate(a, b) else { return "within seed noise" }
        return b.mean > a.mean ? "higher (95 % intervals separate)" : "lower (95 % intervals separate)"
    }

    let width = points.map(\.label.count).max() ?? 0
    var out = "QG (\(estimator.rawValue), \(metric.rawValue)) per grid point: mean over seeds [two-sided 95 % t-interval], n seeds with a QG\n"
    for p in points {
        out += "  " + p.label.padding(toLength: width, withPad: " ", startingAt: 0) + "  lr=\(formatNumber(p.key.lr))  \(shown(p.interval))\n"
    }
    var lines: [String] = []
    // Along each curve: each learning rate against the next smaller one.
    let curves = Dictionary(grouping: points, by: \.key.curve)
    for curve in curves.keys.sorted() {
        let along = curves[curve]!
        guard along.count > 1 else { continue }
        let steps = zip(along, along.dropFirst()).map { a, b in
            "lr \(formatNumber(a.key.lr)) → \(formatNumber(b.key.lr)): \(difference(a.interval, b.interval))"
        }
        lines.append("\(along[0].label): " + steps.joined(separator: "; "))
    }
    // At each learning rate: every curve against the one with the highest mean.
    for lr in Set(points.map(\.key.lr)).sorted() {
        let here = points.filter { $0.key.lr == lr }
        guard here.count > 1, let best = here.max(by: { $0.interval.mean < $1.interval.mean }) else { continue }
        let others = here.filter { $0.key != best.key }.map { "\($0.label): \(difference(best.interval, $0.interval))" }
        lines.append("lr \(formatNumber(lr)): highest \(best.label); " + others.joined(separator: "; "))
    }
    if !lines.isEmpty {
        out += "differences (an effect only where the 95 % intervals separate):\n" + lines.map { "  \($0)\n" }.joined()
    }
    return out
}
