import Foundation
import TrialProtocol

/// Where one combination of a boundary search stands, recomputed from its stored trials:
/// its points with their verdicts, its current bracket, what it does next.
public struct CombinationProgress: Sendable {
    public enum Outcome: String, Sendable {
        /// Trials of the combination are still to run or running.
        case searching
        /// A trial failed or was cancelled: the search of this combination waits for a rerun
        /// (`lipsweep run` queues such trials again).
        case blocked
        /// All its trials finished and the bracket is wider than the resolution: the next
        /// point is being added.
        case bisecting
        /// The bracket is within the resolution: done.
        case bracketed
        /// No crossing in the range: every point converges.
        case convergesEverywhere = "converges everywhere"
        /// No crossing in the range: no point converges.
        case convergesNowhere = "converges nowhere"

        /// For status and the export.
        public var text: String {
            switch self {
            case .searching, .bisecting: "searching"
            case .blocked: "blocked by a failed or cancelled trial"
            case .bracketed: "bracketed"
            case .convergesEverywhere: "no crossing: converges at every point"
            case .convergesNowhere: "no crossing: converges at no point"
            }
        }
    }

    /// One searched value with the trials of its seeds.
    public struct Point: Sendable {
        public var value: Double
        public var trials: [TrialRecord]
        /// Whether the point converges; nil until every seed's trial has finished.
        public var converges: Bool?
        /// Mean QG (`TrialRecord.decisionQG`, the sweep's `qg.estimator`) over the trials that have one.
        public var meanQG: Double?
    }

    public var index: Int
    public var label: String
    public var template: TrialConfig
    /// In increasing order of value.
    public var points: [Point]
    public var outcome: Outcome
    /// (a, b): the largest converging point and the next larger point run, among the judged
    /// points; nil while there is none.
    public var bracket: (lo: Double, hi: Double)?
    /// Trials to add now (missing seeds or points; the next bisection point).
    var toAdd: [PlannedTrial] = []

    public var trials: [TrialRecord] { points.flatMap(\.trials) }
    public var bracketPoints: [Point] { points.filter { $0.value == bracket?.lo || $0.value == bracket?.hi } }
}

extension BoundarySearch {
    /// Every combination's progress over the sweep's stored trials.
    public func progress(_ stored: [TrialRecord]) -> [CombinationProgress] {
        var byCombination = [[TrialRecord]](repeating: [], count: combinations.count)
        for t in stored where seeds.contains(t.seed) {
            if let c = combination(of: t.config) { byCombination[c].append(t) }
        }
        let labels = combinationLabels
        return combinations.indices.map { judge($0, label: labels[$0], byCombination[$0]) }
    }

    private func judge(_ index: Int, label: String, _ trials: [TrialRecord]) -> CombinationProgress {
        var byPoint: [Double: [TrialRecord]] = [:]
        for t in trials { if let x = point(of: t.config) { byPoint[x, default: []].append(t) } }
        let points = byPoint.keys.sorted().map { x in
            let group = byPoint[x]!.sorted { $0.seed < $1.seed }
            let verdict = verdict(group)
            return CombinationProgress.Point(value: x, trials: group, converges: verdict.converges, meanQG: verdict.meanQG)
        }
        var progress = CombinationProgress(index: index, label: label, template: combinations[index], points: points,
                                           outcome: .searching, bracket: Self.bracket(points))
        // Every initial point and every point already run needs all its seeds.
        for x in Set(initialPoints).union(byPoint.keys).sorted() {
            let have = Set(byPoint[x]?.map(\.seed) ?? [])
            progress.toAdd += seeds.filter { !have.contains($0) }.map { trial(combination: index, point: x, seed: $0) }
        }
        if !progress.toAdd.isEmpty { return progress }
        if trials.contains(where: { $0.state == .failed || $0.state == .cancelled }) {
            progress.outcome = .blocked
            return progress
        }
        if trials.contains(where: { !$0.state.isFinished }) { return progress }
        // Every point is judged: the bracket is final or is bisected.
        guard case let (lo, hi)? = progress.bracket else {
            progress.outcome = points.contains { $0.converges == true } ? .convergesEverywhere : .convergesNowhere
            return progress
        }
        let middle = roundSignificant((lo * hi).squareRoot())
        if isResolved(lo, hi) || !(middle > lo && middle < hi) {
            progress.outcome = .bracketed
        } else {
            progress.outcome = .bisecting
            progress.toAdd = seeds.map { trial(combination: index, point: middle, seed: $0) }
        }
        return progress
    }

    /// A point converges when every seed's trial finished, none diverged, all have a QG and
    /// their mean QG exceeds the threshold (a trial without QG counts as not converging). QG is
    /// each trial's `decisionQG`, the estimator the spec chose (`qg.estimator`).
    private func verdict(_ trials: [TrialRecord]) -> (converges: Bool?, meanQG: Double?) {
        let qgs = trials.compactMap(\.decisionQG)
        let meanQG = qgs.isEmpty ? nil : qgs.reduce(0, +) / Double(qgs.count)
        guard Set(trials.map(\.seed)).isSuperset(of: seeds), trials.allSatisfy(\.state.isFinished) else { return (nil, meanQG) }
        if trials.contains(where: { $0.state == .diverged }) || qgs.count < trials.count { return (false, meanQG) }
        return (meanQG! > threshold, meanQG)
    }

    /// (largest converging point, next larger judged point), or nil when no judged point
    /// converges or the largest converging one is the largest judged.
    static func bracket(_ points: [CombinationProgress.Point]) -> (lo: Double, hi: Double)? {
        let judged = points.filter { $0.converges != nil }
        guard let lo = judged.last(where: { $0.converges == true })?.value,
              let hi = judged.first(where: { $0.value > lo })?.value else { return nil }
        return (lo, hi)
    }

    /// " (slope)" when the trials decide on the least-squares slope, "" for the default endpoints.
    func estimatorNote(_ stored: [TrialRecord]) -> String {
        stored.first.map { $0.config.qg.qgEstimator == .slope ? " (slope)" : "" } ?? ""
    }

    /// The `status` lines: each combination's current bracket.
    public func statusText(_ stored: [TrialRecord]) -> String? {
        let progress = progress(stored)
        let width = progress.map(\.label.count).max() ?? 0
        var out = "boundary search on \(axisName) in [\(formatNumber(low)), \(formatNumber(high))], resolution \(formatNumber(resolution)), "
            + "converging = mean QG\(estimatorNote(stored)) over \(seeds.count) seed(s) > \(formatNumber(threshold)):\n"
        for c in progress {
            var line = "  " + c.label.padding(toLength: width, withPad: " ", startingAt: 0) + "  \(c.outcome.text)"
            if case let (lo, hi)? = c.bracket {
                line += c.outcome == .bracketed ? ": " : ", bracket "
                line += "\(axisName) in [\(formatNumber(lo)), \(formatNumber(hi))] (ratio \(formatNumber(hi / lo)))"
            }
            let open = c.trials.filter { !$0.state.isTerminal }.count
            line += "; \(c.points.count) point(s), \(c.trials.count) trial(s)" + (open > 0 ? ", \(open) to run or running" : "")
            out += line + "\n"
        }
        return out
    }
}
