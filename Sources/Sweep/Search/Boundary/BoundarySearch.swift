import Foundation
import TrialProtocol

/// `search: {kind: boundary, …}` of a spec, expanded: where the learning rate (or another
/// real-valued axis) stops giving a converging trial, bracketed for every combination of the
/// other axes (regularizer × margin × α × λ × loss × …; the paper's Figs. 4–5 question).
///
/// For each combination it runs the `initial` log-spaced points of [low, high], then, once all
/// its trials have finished, takes the bracket [a, b] where a is the largest point decided
/// converging and b the smallest point above it decided not converging, and bisects it
/// geometrically — the next point is √(a·b) — until b/a ≤ `resolution` or the middle is
/// already run (an undecided point). Without `replicates` a point runs every seed and
/// converges when its mean QG exceeds `threshold` and no trial diverged; with them a point
/// takes seeds one at a time until a one-sided bound of its mean QG clears the threshold
/// (PointDecision.swift, docs/science.md §8.1). A combination whose points all converge, or
/// none, has no crossing in the range and stops there; one whose decided points do not
/// converge below a point that does is non-monotone. Every choice is a function of the
/// finished trials' stored results alone, so the search is deterministic and resumable: the
/// points a combination has run are its rows in `trials`, and its state is recomputed from them.
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
    /// Seeds per point and the confidence of the decisions; nil: every seed at every point,
    /// decided on the mean alone (the search as stored before replicates, which decodes so).
    public var replicates: Replicates?

    public init(axis: String, low: Double, high: Double, initial: Int, resolution: Double, threshold: Double,
                seeds: [Int], combinations: [TrialConfig], replicates: Replicates? = nil) {
        self.axis = axis; self.low = low; self.high = high; self.initial = initial; self.resolution = resolution
        self.threshold = threshold; self.seeds = seeds; self.combinations = combinations; self.replicates = replicates
    }

    /// The first points of every combination: `initial` values from low to high, equally
    /// spaced in log (GridValues' logspace, so they are the very doubles a grid would use).
    public var initialPoints: [Double] { logspace(low, high, initial) }

    /// Whether `ratio` = b/a is within the resolution (with room for the 12-digit rounding of
    /// the points).
    func isResolved(_ lo: Double, _ hi: Double) -> Bool { hi / lo <= resolution * (1 + 1e-9) }

    /// The ratio between neighbouring initial points.
    var initialStep: Double { pow(high / low, 1 / Double(initial - 1)) }

    /// Halvings (in log) that take a bracket of `ratio` within the resolution.
    func halvings(_ ratio: Double) -> Int {
        var ratio = ratio, k = 0
        while ratio > resolution * (1 + 1e-9) { ratio = ratio.squareRoot(); k += 1 }
        return k
    }

    /// The most bisections one combination can take when every point is decided: k with
    /// r^(1/2^k) ≤ resolution, r the ratio between neighbouring initial points (the first
    /// bracket lies between two of them).
    public var maxBisections: Int { halvings(initialStep) }

    /// The most bisection points one combination can take. Without replicates every point is
    /// decided, the first bracket spans one initial step r and each middle halves it:
    /// `maxBisections`. With them the search bisects the gaps between the bracket's ends and
    /// the undecided points inside it; every point added is the middle of a gap, which halves
    /// it, and at each halving depth there is at most one gap at each end, so at most
    /// 2 · `maxBisections` (the first gaps are at most one initial step wide).
    public var maxBisectionPoints: Int { replicates == nil ? maxBisections : 2 * maxBisections }

    /// The most trials the search can take: every combination runs its initial points and
    /// at most `maxBisectionPoints` more, each with at most `max` seeds (every seed without
    /// replicates).
    public var maxTrials: Int { combinations.count * (initial + maxBisectionPoints) * seedRange.max }

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
        guard combination(of: trial.config) != nil, pointSeeds.contains(trial.seed), let x = point(of: trial.config) else { return false }
        return x >= low * (1 - 1e-9) && x <= high * (1 + 1e-9)
    }
}

// MARK: the kind

extension BoundarySearch {
    public static let kind = "boundary"
    static let registration = SearchRegistration(
        BoundarySearch.self, keys: ["axis", "range", "initial", "resolution", "threshold", "replicates"],
        exportHelp: "one row per combination of the other axes: status (bracketed, undecided, non-monotone, no-crossing), its bracket lr_lo..lr_hi, seeds, mean QG and its interval at each end, the trials it took, mean L_30 and 2/L_30 of the bracket's trials, 2/m",
        read: Section.init)

    /// `search: {kind: boundary, axis, range, initial, resolution, threshold, replicates}` as read.
    struct Section: SearchSection {
        var axis: TrialKey
        var low: Double, high: Double
        var initial = 5
        var resolution = 1.5
        var threshold = 0.0
        var replicates: ReplicatesSection?

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
            if let v = given["replicates"] { replicates = try ReplicatesSection(v) }
        }

        /// The search over the expanded grid's combinations and its initial trials (every
        /// combination × initial point × first seeds), numbered in that order.
        func plan(over expanded: [PlannedTrial]) throws -> (search: any SweepSearch, trials: [PlannedTrial]) {
            let (templates, values, seeds) = axisCombinations(expanded, axis: axis)
            let search = BoundarySearch(axis: axis.name, low: low, high: high, initial: initial, resolution: resolution,
                                        threshold: threshold, seeds: seeds, combinations: templates,
                                        replicates: try replicates?.replicates(seeds: seeds.count))
            var trials: [PlannedTrial] = []
            for c in templates.indices { for x in search.initialPoints { for seed in search.pointSeeds.prefix(search.seedRange.min) {
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
        let step = initialStep
        let finest = (0..<maxBisections).reduce(step) { r, _ in r.squareRoot() }
        var out = "boundary search on \(axisName) in [\(formatNumber(low)), \(formatNumber(high))] (log scale), for each of \(combinations.count) combination(s): "
        out += combinationLabels.joined(separator: "; ") + "\n"
        out += "  initial points: \(axisName) \(initialPoints.map(formatNumber).joined(separator: ", ")) (a factor \(formatNumber(step)) apart), "
        out += "seed(s) \(seeds.map(String.init).joined(separator: ", "))\n"
        if let r = replicates {
            out += "  each point starts with the first \(r.min) seed(s) and takes one more, up to \(r.max), while the one-sided "
            out += "\(formatNumber(r.confidence * 100)) % bounds of its mean QG both include \(formatNumber(threshold)); then undecided\n"
        }
        out += "  then bisects the bracket where mean QG crosses \(formatNumber(threshold)) until high/low ≤ \(formatNumber(resolution)): "
        out += "at most \(maxBisections) more point(s) per combination (a factor \(formatNumber(finest)))"
        if maxBisectionPoints > maxBisections {
            out += ", \(maxBisectionPoints) when undecided points split the bracket into two gaps"
        }
        out += "\n"
        let gridPoints = gridPointsOfSameResolution
        let perPoint = replicates.map { " with \($0.max) seed(s) at every point" } ?? ""
        out += "  at most \(maxTrials) trials\(perPoint) (\(plannedTrials) initial); a grid of the same resolution needs "
        out += "\(gridPoints * combinations.count * seedRange.max) (\(gridPoints) points per combination)\n"
        return out
    }

    public func exportTable(_ stored: [TrialRecord]) -> TextTable? { boundaryTable(self, trials: stored) }

    /// The brackets shaded on the QG plots (when the axis is the plotted learning rate) and
    /// the export's table.
    public func report(_ stored: [TrialRecord]) -> SearchReport {
        let onLR = axis == "training.lr"
        let rule = replicates == nil ? "mean QG > \(formatNumber(threshold))" : "decided converging"
        let note = onLR
            ? "<p>Shaded: each combination's bracket from the boundary search, between the largest learning rate whose trials converge (\(rule)) and the smallest larger one decided not to.</p>\n"
            : "<p>The boundary search runs on \(axisName), not on the plotted learning rate: its brackets are in the table below.</p>\n"
        let judged = progress(stored)
        let bands = onLR ? judged.compactMap { c in
            c.bracket.map { SearchReport.Band(template: c.template, lo: $0.lo, hi: $0.hi,
                                              label: "\(c.label): \(c.outcome.text), lr in [\(formatNumber($0.lo)), \(formatNumber($0.hi))]") }
        } : []
        let table = boundaryTable(self, trials: stored)
        var intro = "<p>Per combination: the bracket of \(axisName) where QG stops exceeding \(formatNumber(threshold)) (resolution \(formatNumber(resolution)); "
            + "\(escape(decisionRuleText))), against 2/L₃₀ and 2/m. The ci columns are one-sided \(formatNumber(boundConfidence * 100)) % bounds of the mean QG at each end.</p>\n"
        let flagged = judged.filter { $0.outcome == .nonMonotone || $0.outcome == .undecided }
        if !flagged.isEmpty {
            intro += "<p class=\"flagged\">Not resolved to a bracket within the resolution: "
                + escape(flagged.map { "\($0.label) \($0.outcome.status)" + ($0.note(axisName).map { " (\($0))" } ?? "") }.joined(separator: "; ")) + ".</p>\n"
        }
        let figure = BoundaryFigure.figure(table, axis: axisName)
        if let figure { intro += "<div class=\"plots\">\n" + figure.svg + "</div>\n" + figure.caption }
        return SearchReport(qgNote: note, bands: bands, sections: [("Convergence boundary", intro, table)],
                            figures: figure.map { [("boundary", $0.svg)] } ?? [])
    }
}

extension SweepSearch {
    /// The search as a boundary search, if it is one.
    public var boundary: BoundarySearch? { self as? BoundarySearch }
}
