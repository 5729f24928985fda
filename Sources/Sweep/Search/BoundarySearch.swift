import Foundation
import TrialProtocol

/// `search: {kind: boundary, …}` of a spec, expanded: where the learning rate (or another
/// real-valued axis) stops giving a converging trial, bracketed for every combination of the
/// other axes (regularizer × margin × α × λ × loss × …; the paper's Figs. 4–5 question).
///
/// For each combination it runs the `initial` log-spaced points of [low, high] (every seed of
/// a point), then, once all its trials have finished, takes the bracket [a, b] where a is the
/// largest point whose trials converge (mean QG over the seeds > `threshold`, no trial
/// diverged) and b the next larger point run, and bisects it geometrically — the next point
/// is √(a·b) — until b/a ≤ `resolution`. A combination whose points all converge, or none,
/// has no crossing in the range and stops there. Every choice is a function of the finished
/// trials' stored results alone, so the search is deterministic and resumable: the points a
/// combination has run are its rows in `trials`, and its state is recomputed from them.
///
/// Stored with the sweep (`sweeps.search_json`) so that `lipsweep sync` continues it from the
/// database alone.
public struct BoundarySearch: Codable, Equatable, Sendable {
    /// The searched key's name (`training.lr`).
    public var axis: String
    public var low: Double
    public var high: Double
    public var initial: Int
    public var resolution: Double
    public var threshold: Double
    public var seeds: [Int]
    /// One trial config per combination of the other axes, with the searched value and the
    /// seed normalised (`template(of:)`), in the order the grid expands them.
    public var combinations: [TrialConfig]

    public init(axis: String, low: Double, high: Double, initial: Int, resolution: Double, threshold: Double,
                seeds: [Int], combinations: [TrialConfig]) {
        self.axis = axis; self.low = low; self.high = high; self.initial = initial; self.resolution = resolution
        self.threshold = threshold; self.seeds = seeds; self.combinations = combinations
    }

    var axisKey: TrialKey { TrialKeys.named(axis)! }
    /// The axis as a grid names it (`lr`).
    public var axisName: String { axisKey.key }

    /// The first points of every combination: `initial` values from low to high, equally
    /// spaced in log (GridValues' logspace, so they are the very doubles a grid would use).
    public var initialPoints: [Double] { logspace(low, high, initial) }

    /// The combination's template: the searched value set to 1 and the seed to 0, so that two
    /// trials of one combination have equal templates whatever their point and seed.
    static func template(_ config: TrialConfig, axis: TrialKey) -> TrialConfig {
        var t = config
        axis.apply(.number(1), to: &t)
        t.training.seed = 0
        return t
    }

    func combination(of config: TrialConfig) -> Int? {
        let t = Self.template(config, axis: axisKey)
        return combinations.firstIndex(of: t)
    }

    /// The searched value of a config.
    func point(of config: TrialConfig) -> Double? { ConfigLeaves(config)[axis]?.number }

    func trial(combination: Int, point: Double, seed: Int) -> PlannedTrial {
        var config = combinations[combination]
        axisKey.apply(.number(point), to: &config)
        config.training.seed = seed
        return PlannedTrial(number: -1, config: config, configHash: config.configHash,
                            values: [axisName: .number(point), "seed": .integer(seed)])
    }

    /// Whether `ratio` = b/a is within the resolution (with room for the 12-digit rounding of
    /// the points).
    func isResolved(_ lo: Double, _ hi: Double) -> Bool { hi / lo <= resolution * (1 + 1e-9) }

    /// The most bisections one combination can take: k with r^(1/2^k) ≤ resolution, r the
    /// ratio between neighbouring initial points (every bracket lies between two of them).
    public var maxBisections: Int {
        var ratio = pow(high / low, 1 / Double(initial - 1)), k = 0
        while ratio > resolution * (1 + 1e-9) { ratio = ratio.squareRoot(); k += 1 }
        return k
    }

    /// The most trials the search can take: every combination runs its initial points and
    /// at most `maxBisections` more, each with every seed.
    public var maxTrials: Int { combinations.count * (initial + maxBisections) * seeds.count }

    /// Points of a log grid over [low, high] fine enough for the same resolution (neighbours
    /// within a factor `resolution`): ⌈ln(high/low) / ln(resolution)⌉ + 1.
    public var gridPointsOfSameResolution: Int {
        Int((log(high / low) / log(resolution) - 1e-9).rounded(.up)) + 1
    }
}

/// How a sweep chooses its trials. The scheduler's ledger asks after every event, and `sync`
/// at each step, for the trials to add; a grid knows all of them up front, a boundary search
/// derives them from the finished trials. Both are deterministic functions of the stored
/// trials, so any process that reads the database continues the same search.
public protocol SearchStrategy {
    /// Trials to add now, given every trial the sweep holds, each with a line for the log
    /// (empty: not logged).
    func additions(stored: [TrialRecord]) -> [(trials: [PlannedTrial], note: String)]
    /// Whether a stored trial is one this search would run: a rerun whose spec no longer
    /// covers a stored trial is refused (SpecChange).
    func covers(_ trial: TrialRecord) -> Bool
}

/// A grid: the spec's trials, all known before anything runs.
struct GridSearch: SearchStrategy {
    /// Empty for `sync`: the grid's trials were all stored by the `run` that submitted them.
    let planned: [PlannedTrial]

    func additions(stored: [TrialRecord]) -> [(trials: [PlannedTrial], note: String)] {
        let have = Set(stored.map(\.configHash))
        let missing = planned.filter { !have.contains($0.configHash) }
        return missing.isEmpty ? [] : [(missing, "")]
    }

    func covers(_ trial: TrialRecord) -> Bool { planned.contains { $0.configHash == trial.configHash } }
}

extension BoundarySearch: SearchStrategy {
    public func additions(stored: [TrialRecord]) -> [(trials: [PlannedTrial], note: String)] {
        let labels = combinationLabels
        return progress(stored).compactMap { c in
            guard !c.toAdd.isEmpty else { return nil }
            let points = Set(c.toAdd.compactMap { point(of: $0.config) }).sorted()
            let what: String
            if case let (lo, hi)? = c.bracket, c.outcome == .bisecting {
                what = "bracket [\(formatNumber(lo)), \(formatNumber(hi))] → \(axisName) \(points.map(formatNumber).joined(separator: ", "))"
            } else {
                what = "\(axisName) \(points.map(formatNumber).joined(separator: ", "))"
            }
            return (c.toAdd, "boundary search, \(labels[c.index]): \(what)")
        }
    }

    public func covers(_ trial: TrialRecord) -> Bool {
        guard combination(of: trial.config) != nil, seeds.contains(trial.seed), let x = point(of: trial.config) else { return false }
        return x >= low * (1 - 1e-9) && x <= high * (1 + 1e-9)
    }
}
