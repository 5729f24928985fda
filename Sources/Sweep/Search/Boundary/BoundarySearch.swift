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
public struct BoundarySearch: AxisSearch, Equatable {
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

    /// The first points of every combination: `initial` values from low to high, equally
    /// spaced in log (GridValues' logspace, so they are the very doubles a grid would use).
    public var initialPoints: [Double] { logspace(low, high, initial) }

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

extension BoundarySearch: SweepSearch {
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

// MARK: the kind

extension BoundarySearch {
    public static let kind = "boundary"
    static let registration = SearchRegistration(
        BoundarySearch.self, keys: ["axis", "range", "initial", "resolution", "threshold"],
        exportHelp: "one row per combination of the other axes, its bracket lr_lo..lr_hi (empty when there is no crossing), the trials it took, mean L_30 and 2/L_30 of the bracket's trials, 2/m",
        read: Section.init)

    /// `search: {kind: boundary, axis, range, initial, resolution, threshold}` as read.
    struct Section: SearchSection {
        var axis: TrialKey
        var low: Double, high: Double
        var initial = 5
        var resolution = 1.5
        var threshold = 0.0

        var searchedAxis: TrialKey? { axis }

        init(_ given: [String: Located], section: Located) throws {
            axis = try AxisSectionKeys.axis(given, kind: BoundarySearch.kind)
            (low, high) = try AxisSectionKeys.range(given, section: section, kind: BoundarySearch.kind)
            if let v = given["initial"] {
                initial = try v.int()
                guard initial >= 2 else {
                    throw v.error("initial must be at least 2 (a bracket needs two points), found \(initial)", fix: "give 2 or more, e.g. 5")
                }
            }
            if let v = given["resolution"] {
                resolution = try v.double()
                guard resolution > 1 else {
                    throw v.error("resolution must be above 1 (the bracket's high/low ratio to reach), found \(formatNumber(resolution))",
                                  fix: "give a ratio such as 1.5")
                }
            }
            if let v = given["threshold"] { threshold = try v.double() }
        }

        /// The search over the expanded grid's combinations and its initial trials (every
        /// combination × initial point × seed), numbered in that order.
        func plan(over expanded: [PlannedTrial]) -> (search: any SweepSearch, trials: [PlannedTrial]) {
            let (templates, values, seeds) = axisCombinations(expanded, axis: axis)
            let search = BoundarySearch(axis: axis.name, low: low, high: high, initial: initial, resolution: resolution,
                                        threshold: threshold, seeds: seeds, combinations: templates)
            var trials: [PlannedTrial] = []
            for c in templates.indices { for x in search.initialPoints { for seed in seeds {
                let t = search.trial(combination: c, point: x, seed: seed)
                trials.append(PlannedTrial(number: trials.count, config: t.config, configHash: t.configHash,
                                           values: values[c].merging(t.values) { $1 }))
            } } }
            return (search, trials)
        }
    }

    public var plannedNoun: String { "initial trials" }

    public func runText(plannedTrials: Int) -> String {
        "\(plannedTrials) initial trial(s) of a boundary search (at most \(maxTrials))"
    }

    /// The initial points every combination runs and the most trials the search can take
    /// (against a grid of the same resolution).
    public func planText(plannedTrials: Int) -> String {
        let step = pow(high / low, 1 / Double(initial - 1))
        let finest = (0..<maxBisections).reduce(step) { r, _ in r.squareRoot() }
        var out = "boundary search on \(axisName) in [\(formatNumber(low)), \(formatNumber(high))] (log scale), for each of \(combinations.count) combination(s): "
        out += combinationLabels.joined(separator: "; ") + "\n"
        out += "  initial points: \(axisName) \(initialPoints.map(formatNumber).joined(separator: ", ")) (a factor \(formatNumber(step)) apart), "
        out += "seed(s) \(seeds.map(String.init).joined(separator: ", "))\n"
        out += "  then bisects the bracket where mean QG crosses \(formatNumber(threshold)) until high/low ≤ \(formatNumber(resolution)): "
        out += "at most \(maxBisections) more point(s) per combination (a factor \(formatNumber(finest)))\n"
        let gridPoints = gridPointsOfSameResolution
        out += "  at most \(maxTrials) trials (\(plannedTrials) initial); a grid of the same resolution needs "
        out += "\(gridPoints * combinations.count * seeds.count) (\(gridPoints) points per combination)\n"
        return out
    }

    public func exportTable(_ stored: [TrialRecord]) -> TextTable? { boundaryTable(self, trials: stored) }

    /// The brackets shaded on the QG plots (when the axis is the plotted learning rate) and
    /// the export's table.
    public func report(_ stored: [TrialRecord]) -> SearchReport {
        let onLR = axis == "training.lr"
        let note = onLR
            ? "<p>Shaded: each combination's bracket from the boundary search, between the largest learning rate whose trials converge (mean QG > \(formatNumber(threshold))) and the next larger one run.</p>\n"
            : "<p>The boundary search runs on \(axisName), not on the plotted learning rate: its brackets are in the table below.</p>\n"
        let bands = onLR ? progress(stored).compactMap { c in
            c.bracket.map { SearchReport.Band(template: c.template, lo: $0.lo, hi: $0.hi,
                                              label: "\(c.label): \(c.outcome.text), lr in [\(formatNumber($0.lo)), \(formatNumber($0.hi))]") }
        } : []
        let intro = "<p>Per combination: the bracket of \(axisName) where mean QG stops exceeding \(formatNumber(threshold)) (resolution \(formatNumber(resolution))), against 2/L₃₀ and 2/m.</p>\n"
        return SearchReport(qgNote: note, bands: bands, sections: [("Convergence boundary", intro, boundaryTable(self, trials: stored))])
    }
}

extension SweepSearch {
    /// The search as a boundary search, if it is one.
    public var boundary: BoundarySearch? { self as? BoundarySearch }
}
