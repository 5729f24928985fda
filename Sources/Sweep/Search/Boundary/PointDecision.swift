import Foundation
import TrialProtocol

/// The value every decision about a point reads: the trial's QG under the sweep's
/// `qg.estimator` (`TrialRecord.decisionQG`: paper eq. 11 or the least-squares slope, on
/// `qg.metric`).
public func decisionValue(of trial: TrialRecord) -> Double? { trial.decisionQG }

/// `search.replicates: {min, max, confidence}` of a boundary search: how many seeds a point
/// takes before it is decided (docs/science.md §8.1). A point's seeds are the first n of the
/// spec's `seeds:`, the same ones in the same order at every point (common random numbers).
public struct Replicates: Codable, Equatable, Sendable {
    /// Seeds a point starts with.
    public var min: Int
    /// Seeds a point can take; a point still undecided with `max` seeds is `undecided`.
    public var max: Int
    /// One-sided confidence of the bound compared with the threshold, in (0.5, 1).
    public var confidence: Double

    public init(min: Int, max: Int, confidence: Double) { self.min = min; self.max = max; self.confidence = confidence }
}

/// What a point of a boundary search is, from the finished trials of its first seeds.
public enum PointVerdict: String, Sendable {
    case converging
    case notConverging = "not converging"
    /// Neither bound clears the threshold with `max` seeds: the transition zone, where the
    /// chance of converging is near one half.
    case undecided
}

/// A point's decision: the verdict (nil while seeds are to add or trials to finish), the seeds
/// it rests on, and the interval of their mean decision value.
struct PointDecision {
    var verdict: PointVerdict?
    /// The first `seedsUsed` seeds decided (or are being waited for).
    var seedsUsed: Int
    /// Seeds to add now.
    var missing: [Int]
    /// Over the decision values of the seeds used that gave one (diverged trials excluded).
    var interval: SeedInterval?
    /// The bounds compared with the threshold: one-sided at `boundConfidence` each.
    var bounds: (low: Double, high: Double)?
}

extension BoundarySearch {
    /// The seeds a point starts with and the most it takes: `replicates`, or every seed.
    var seedRange: (min: Int, max: Int) { replicates.map { ($0.min, $0.max) } ?? (seeds.count, seeds.count) }

    /// The seeds any point may take, in the order points take them.
    var pointSeeds: ArraySlice<Int> { seeds.prefix(seedRange.max) }

    /// The one-sided confidence of each reported bound: the replicates' own, or 0.975 without
    /// replicates (the two bounds then make the two-sided 95 % interval).
    var boundConfidence: Double { replicates?.confidence ?? 0.975 }

    /// Decides a point from its stored trials (by seed), sequentially: it takes the first `min`
    /// seeds; once all their trials have finished it is decided, or, while undecided with fewer
    /// than `max` seeds, takes the next seed. The verdict of n seeds reads those n trials only,
    /// so it is what a fresh run would decide, whatever else is stored.
    func decide(_ bySeed: [Int: TrialRecord]) -> PointDecision {
        let (minSeeds, maxSeeds) = seedRange
        var n = minSeeds
        while true {
            let wanted = Array(pointSeeds.prefix(n))
            let missing = wanted.filter { bySeed[$0] == nil }
            let trials = wanted.compactMap { bySeed[$0] }
            let values = trials.filter { $0.state != .diverged }.compactMap(decisionValue(of:))
            var decision = PointDecision(verdict: nil, seedsUsed: n, missing: missing, interval: SeedInterval(values))
            if let i = decision.interval, let low = i.lowerBound(confidence: boundConfidence), let high = i.upperBound(confidence: boundConfidence) {
                decision.bounds = (low, high)
            }
            guard missing.isEmpty, trials.allSatisfy(\.state.isFinished) else { return decision }
            decision.verdict = replicates == nil ? allSeedsVerdict(trials) : replicatedVerdict(trials, values: values, bounds: decision.bounds)
            if decision.verdict != .undecided || n >= maxSeeds { return decision }
            n += 1
        }
    }

    /// Without replicates (the search before them): every seed's trial finished, none diverged,
    /// all have a value and their mean exceeds the threshold.
    private func allSeedsVerdict(_ trials: [TrialRecord]) -> PointVerdict {
        let values = trials.compactMap(decisionValue(of:))
        if trials.contains(where: { $0.state == .diverged }) || values.count < trials.count { return .notConverging }
        return values.reduce(0, +) / Double(values.count) > threshold ? .converging : .notConverging
    }

    /// With replicates: not converging when more than half the seeds diverged or gave no value;
    /// converging when the lower bound of the mean is above the threshold, not converging when
    /// the upper bound is below it; else undecided (one seed has no bound: undecided).
    private func replicatedVerdict(_ trials: [TrialRecord], values: [Double], bounds: (low: Double, high: Double)?) -> PointVerdict {
        if 2 * (trials.count - values.count) > trials.count { return .notConverging }
        guard let bounds else { return .undecided }
        if bounds.low > threshold { return .converging }
        if bounds.high < threshold { return .notConverging }
        return .undecided
    }
}

/// `search.replicates: {min, max, confidence}` as read, checked against the seeds once the
/// grid is expanded (`max` defaults to every seed, `min` to 2, `confidence` to 0.95).
struct ReplicatesSection {
    let section: Located
    var min: (value: Int, at: Located)?
    var max: (value: Int, at: Located)?
    var confidence: (value: Double, at: Located)?

    init(_ at: Located) throws {
        section = at
        for (key, v) in try at.mapping(allowed: ["min", "max", "confidence"]) {
            switch key {
            case "min": min = (try v.int(), v)
            case "max": max = (try v.int(), v)
            default: confidence = (try v.double(), v)
            }
        }
    }

    func replicates(seeds: Int) throws -> Replicates {
        let maxSeeds = max?.value ?? seeds
        if let max, max.value > seeds {
            throw max.at.error("replicates.max is \(max.value) but the spec has \(seeds) seed(s); a point's seeds are the first n of `seeds:`",
                               fix: "give max ≤ \(seeds), or list more seeds (e.g. `repeats: \(max.value)`)")
        }
        guard maxSeeds >= 2 else {
            throw (max?.at ?? section).error("replicates need at least 2 seeds per point (an interval needs a spread), found max \(maxSeeds)",
                                             fix: "give max ≥ 2 and list as many seeds, or remove `replicates:`")
        }
        let minSeeds = min?.value ?? 2
        if let min, min.value < 1 {
            throw min.at.error("replicates.min must be at least 1, found \(min.value)", fix: "give the seeds a point starts with, e.g. 2")
        }
        guard minSeeds <= maxSeeds else {
            throw (min?.at ?? section).error("replicates.min (\(minSeeds)) is above max (\(maxSeeds))", fix: "give min ≤ max, e.g. min: 2, max: \(maxSeeds)")
        }
        let confidence = confidence?.value ?? 0.95
        if let at = self.confidence?.at, !(confidence > 0.5 && confidence < 1) {
            throw at.error("replicates.confidence must lie strictly between 0.5 and 1, found \(formatNumber(confidence))",
                           fix: "give the one-sided confidence of each decision, e.g. 0.95")
        }
        return Replicates(min: minSeeds, max: maxSeeds, confidence: confidence)
    }
}
