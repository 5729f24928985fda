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
        /// Done with undecided points where the turn is: the bracket is wider than the
        /// resolution (its middle is undecided) or has an open end.
        case undecided
        /// Done, and a decided point does not converge below one that does.
        case nonMonotone = "non-monotone"
        /// No crossing in the range: every point converges.
        case convergesEverywhere = "converges everywhere"
        /// No crossing in the range: no point converges.
        case convergesNowhere = "converges nowhere"

        /// For status.
        public var text: String {
            switch self {
            case .searching, .bisecting: "searching"
            case .blocked: "blocked by a failed or cancelled trial"
            case .bracketed: "bracketed"
            case .undecided: "undecided"
            case .nonMonotone: "non-monotone"
            case .convergesEverywhere: "no crossing: converges at every point"
            case .convergesNowhere: "no crossing: converges at no point"
            }
        }

        /// The export's `status`: searching | blocked | bracketed | undecided | non-monotone |
        /// no-crossing.
        public var status: String {
            switch self {
            case .searching, .bisecting: "searching"
            case .blocked: "blocked"
            case .convergesEverywhere, .convergesNowhere: "no-crossing"
            default: rawValue
            }
        }
    }

    /// One searched value with the trials of its seeds.
    public struct Point: Sendable {
        public var value: Double
        /// Every stored trial of the point, in the order of `seeds:`.
        public var trials: [TrialRecord]
        /// Nil while seeds are to add or trials to finish.
        public var verdict: PointVerdict?
        /// The seeds the verdict rests on (the first n of `seeds:`).
        public var seedsUsed: Int
        /// The mean decision value (QG) of those seeds and its interval.
        public var interval: SeedInterval?
        /// The bounds compared with the threshold (one-sided at the search's confidence each).
        public var bounds: (low: Double, high: Double)?

        /// Whether the point is decided converging (true) or not converging (false).
        public var converges: Bool? {
            switch verdict {
            case .converging: true
            case .notConverging: false
            default: nil
            }
        }
        public var meanQG: Double? { interval?.mean }
        /// The trials the verdict rests on.
        public var decidingTrials: [TrialRecord] { Array(trials.prefix(seedsUsed)) }
    }

    public var index: Int
    public var label: String
    public var template: TrialConfig
    /// In increasing order of value.
    public var points: [Point]
    public var outcome: Outcome
    /// The bracket's ends: the largest decided-converging point, and the smallest
    /// decided-non-converging point above it; either is nil when there is none (an undecided
    /// or non-monotone combination may have one end).
    public var lo: Double?
    public var hi: Double?
    /// Whether a decided point does not converge below one that does (flagged while searching
    /// too; the outcome says so once the combination is done).
    public var isNonMonotone: Bool
    /// Trials to add now (missing seeds or points; the next bisection point).
    var toAdd: [PlannedTrial] = []

    /// (lo, hi) when both ends exist.
    public var bracket: (lo: Double, hi: Double)? {
        guard let lo, let hi else { return nil }
        return (lo, hi)
    }
    public var trials: [TrialRecord] { points.flatMap(\.trials) }
    public var loPoint: Point? { points.first { $0.value == lo } }
    public var hiPoint: Point? { points.first { $0.value == hi } }
    public var undecidedPoints: [Point] { points.filter { $0.verdict == .undecided } }
}

extension BoundarySearch {
    /// Every combination's progress over the sweep's stored trials.
    public func progress(_ stored: [TrialRecord]) -> [CombinationProgress] {
        var byCombination = [[TrialRecord]](repeating: [], count: combinations.count)
        for t in stored where pointSeeds.contains(t.seed) {
            if let c = combination(of: t.config) { byCombination[c].append(t) }
        }
        let labels = combinationLabels
        return combinations.indices.map { judge($0, label: labels[$0], byCombination[$0]) }
    }

    private func judge(_ index: Int, label: String, _ trials: [TrialRecord]) -> CombinationProgress {
        var byPoint: [Double: [Int: TrialRecord]] = [:]
        for t in trials { if let x = point(of: t.config) { byPoint[x, default: [:]][t.seed] = t } }
        let order = Dictionary(uniqueKeysWithValues: pointSeeds.enumerated().map { ($1, $0) })
        // Every initial point and every point already run is decided from its own trials.
        var toAdd: [PlannedTrial] = []
        let points = Set(initialPoints).union(byPoint.keys).sorted().map { x in
            let bySeed = byPoint[x] ?? [:]
            let decision = decide(bySeed)
            toAdd += decision.missing.map { trial(combination: index, point: x, seed: $0) }
            return CombinationProgress.Point(value: x, trials: bySeed.values.sorted { order[$0.seed]! < order[$1.seed]! },
                                             verdict: decision.verdict, seedsUsed: decision.seedsUsed,
                                             interval: decision.interval, bounds: decision.bounds)
        }.filter { !$0.trials.isEmpty }
        let decided = points.filter { $0.converges != nil }
        let lo = decided.last { $0.converges == true }?.value
        let hi = lo.flatMap { lo in decided.first { $0.converges == false && $0.value > lo }?.value }
        let nonMonotone = decided.contains { n in n.converges == false && decided.contains { $0.converges == true && $0.value > n.value } }
        var progress = CombinationProgress(index: index, label: label, template: combinations[index], points: points,
                                           outcome: .searching, lo: lo, hi: hi, isNonMonotone: nonMonotone, toAdd: toAdd)
        if !toAdd.isEmpty { return progress }
        if trials.contains(where: { $0.state == .failed || $0.state == .cancelled }) {
            progress.outcome = .blocked
            return progress
        }
        if trials.contains(where: { !$0.state.isFinished }) { return progress }
        // Every point is decided or undecided: the bracket is final or is bisected.
        progress.outcome = finalOutcome(&progress, index: index)
        if nonMonotone, progress.outcome != .bisecting {
            progress.outcome = .nonMonotone
        } else if progress.outcome == .convergesEverywhere || progress.outcome == .convergesNowhere {
            (progress.lo, progress.hi) = (nil, nil)
        }
        return progress
    }

    /// Once every trial has finished: bisect, or say how the combination ends.
    /// Inside the bracket lie only undecided points (a decided one would be an end). The search
    /// bisects the gap between each end and its neighbour inside the bracket — the other end,
    /// or an undecided point — until the gap is within the resolution, so the bracket closes
    /// in on the undecided zone from both sides (its middle alone would stop at the first
    /// undecided point). With no converging point, the bracket's upper end is the first
    /// non-converging point above the undecided ones; with no non-converging point above the
    /// converging ones, it has no upper end.
    private func finalOutcome(_ progress: inout CombinationProgress, index: Int) -> CombinationProgress.Outcome {
        let points = progress.points
        if progress.lo == nil, let top = progress.undecidedPoints.last {
            progress.hi = points.first { $0.converges == false && $0.value > top.value }?.value
        }
        let (lo, hi) = (progress.lo, progress.hi)
        var gaps: [(Double, Double)] = []
        if let lo, let next = points.first(where: { $0.value > lo }), next.value == hi || next.verdict == .undecided {
            gaps.append((lo, next.value))
        }
        if let hi, let previous = points.last(where: { $0.value < hi }), previous.value != lo, previous.verdict == .undecided {
            gaps.append((previous.value, hi))
        }
        let middles = gaps.compactMap { a, b -> Double? in
            guard !isResolved(a, b) else { return nil }
            let middle = roundSignificant((a * b).squareRoot())
            // Not already run (within the 12-digit rounding of the points).
            guard middle > a && middle < b, !points.contains(where: { abs($0.value / middle - 1) < 1e-9 }) else { return nil }
            return middle
        }
        if !middles.isEmpty {
            progress.toAdd = middles.flatMap { x in pointSeeds.prefix(seedRange.min).map { trial(combination: index, point: x, seed: $0) } }
            return .bisecting
        }
        let undecided = progress.undecidedPoints.map(\.value)
        guard let lo else { return undecided.isEmpty ? .convergesNowhere : .undecided }
        guard let hi else { return undecided.contains { $0 > lo } ? .undecided : .convergesEverywhere }
        return isResolved(lo, hi) || !undecided.contains(where: { $0 > lo && $0 < hi }) ? .bracketed : .undecided
    }

    /// " (slope)" when the trials decide on the least-squares slope (`qg.estimator: slope`),
    /// "" for the default endpoints (paper eq. 11).
    var estimatorNote: String { combinations.first?.qg.qgEstimator == .slope ? " (slope)" : "" }

    /// The `status` lines: each combination's current bracket.
    public func statusText(_ stored: [TrialRecord]) -> String? {
        let progress = progress(stored)
        let width = progress.map(\.label.count).max() ?? 0
        var out = "boundary search on \(axisName) in [\(formatNumber(low)), \(formatNumber(high))], resolution \(formatNumber(resolution)), "
            + decisionRuleText + ":\n"
        for c in progress {
            var line = "  " + c.label.padding(toLength: width, withPad: " ", startingAt: 0) + "  \(c.outcome.text)"
            if c.isNonMonotone && c.outcome != .nonMonotone { line += " (non-monotone so far)" }
            let done = [.bracketed, .undecided, .nonMonotone].contains(c.outcome)
            if c.bracket != nil || (done && (c.lo != nil || c.hi != nil)) {
                line += done ? ": " : ", bracket "
                line += "\(axisName) in [\(c.lo.map(formatNumber) ?? "?"), \(c.hi.map(formatNumber) ?? "?")]"
                if let (lo, hi) = c.bracket { line += " (ratio \(formatNumber(hi / lo)))" }
            }
            let open = c.trials.filter { !$0.state.isTerminal }.count
            let undecided = c.undecidedPoints.count
            line += "; \(c.points.count) point(s)" + (undecided > 0 ? " (\(undecided) undecided)" : "")
            line += ", \(c.trials.count) trial(s)" + (open > 0 ? ", \(open) to run or running" : "")
            out += line + "\n"
        }
        return out
    }

    /// "converging = mean QG over 1 seed(s) > 0", or the replicated rule.
    var decisionRuleText: String {
        guard let r = replicates else { return "converging = mean QG\(estimatorNote) over \(seeds.count) seed(s) > \(formatNumber(threshold))" }
        let c = formatNumber(r.confidence * 100)
        return "a point takes \(r.min)–\(r.max) seed(s); converging = the one-sided \(c) % lower bound of mean QG\(estimatorNote) > \(formatNumber(threshold)), "
            + "not converging = the upper bound < \(formatNumber(threshold)) or more than half the seeds diverged"
    }
}
