import Foundation
import TrialProtocol

/// `search: {kind: random, axis, range, trials, seed}` of a spec, expanded: `trials`
/// log-uniform points of a real-valued axis (default lr) in [low, high) for every combination
/// of the other grid axes, each point run with every seed.
///
/// The points are drawn from the spec alone, so the same spec plans the same points: each
/// combination's stream is SplitMix64 seeded with the first 8 bytes of
/// SHA-256("lipsweep random search <seed> " + the combination's canonical config JSON), and
/// point i is low·(high/low)^u_i, u_i = (the stream's i-th word >> 11)·2⁻⁵³, rounded to 12
/// significant digits (as a grid's logspace, so a config hash never depends on the last bit
/// of exp/log); a value drawn twice is drawn again. So a combination's points do not depend on
/// the other combinations or the seeds (adding a grid value keeps every stored point),
/// raising `trials` keeps the first points, and `seed:` (default 0) draws another set.
///
/// Every trial is known before anything runs, as for a grid; the search is stored with the
/// sweep (`sweeps.search_json`, points included) so that `lipsweep sync` and a rerun after a
/// crash continue it from the database alone.
public struct RandomSearch: AxisSearch, SweepSearch, Equatable {
    public static let kind = "random"
    static let registration = SearchRegistration(
        RandomSearch.self, keys: ["axis", "range", "trials", "seed"],
        exportHelp: "one row per combination of the other axes, its points run and finished, and its best point by mean QG over the seeds, with that QG's mean and sd, mean L_30, 2/L_30 and 2/m",
        read: Section.init)

    /// The searched key's name (`training.lr`).
    public var axis: String
    public var low: Double
    public var high: Double
    /// Points per combination.
    public var trials: Int
    /// The draw's seed (the trials' own seeds are `seeds`).
    public var seed: Int
    public var seeds: [Int]
    public var combinations: [TrialConfig]
    /// Each combination's points, in the order drawn.
    public var points: [[Double]]

    public init(axis: String, low: Double, high: Double, trials: Int, seed: Int, seeds: [Int], combinations: [TrialConfig]) {
        self.axis = axis; self.low = low; self.high = high; self.trials = trials; self.seed = seed
        self.seeds = seeds; self.combinations = combinations
        points = combinations.map { Self.draw(trials, low: low, high: high, seed: seed, combination: $0) }
    }

    /// `count` distinct log-uniform values in [low, high) for one combination (see above).
    static func draw(_ count: Int, low: Double, high: Double, seed: Int, combination: TrialConfig) -> [Double] {
        let digest = ContentHash.sha256Hex(Data("lipsweep random search \(seed) ".utf8) + combination.canonicalJSON)
        var state = UInt64(digest.prefix(16), radix: 16)!
        /// SplitMix64 (Steele, Lea & Flood 2014): one 64-bit word per call.
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        var out: [Double] = []
        while out.count < count {
            let u = Double(next() >> 11) * 0x1p-53
            let x = roundSignificant(low * exp(log(high / low) * u))
            if !out.contains(x) { out.append(x) }
        }
        return out
    }

    /// Every trial of the search: combination × point × seed, in that order.
    var planned: [PlannedTrial] {
        combinations.indices.flatMap { c in points[c].flatMap { x in seeds.map { trial(combination: c, point: x, seed: $0) } } }
    }

    public var maxTrials: Int { combinations.count * trials * seeds.count }

    public func runText(plannedTrials: Int) -> String { "\(plannedTrials) trial(s) of a random search" }

    // MARK: the strategy

    public func additions(stored: [TrialRecord]) -> [(trials: [PlannedTrial], note: String)] {
        let have = Set(stored.map(\.configHash))
        let missing = planned.filter { !have.contains($0.configHash) }
        return missing.isEmpty ? [] : [(missing, "")]
    }

    public func covers(_ trial: TrialRecord) -> Bool {
        guard let c = combination(of: trial.config), seeds.contains(trial.seed), let x = point(of: trial.config) else { return false }
        return points[c].contains(x)
    }

    // MARK: where it stands

    /// One combination's points over the stored trials.
    struct Progress {
        var index: Int
        var template: TrialConfig
        /// Each drawn point with its stored trials (by seed).
        var points: [(value: Double, trials: [TrialRecord])]
        var trials: [TrialRecord] { points.flatMap(\.trials) }
        /// The point with the highest mean QG (`decisionQG`, the sweep's `qg.estimator`) among those whose every seed finished with a QG
        /// and none diverged; nil while there is none.
        var best: (value: Double, qgs: [Double], trials: [TrialRecord])? {
            points.compactMap { p -> (value: Double, qgs: [Double], trials: [TrialRecord])? in
                let qgs = p.trials.compactMap(\.decisionQG)
                guard !p.trials.isEmpty, qgs.count == p.trials.count, p.trials.allSatisfy({ $0.state.isFinished && $0.state != .diverged })
                else { return nil }
                return (p.value, qgs, p.trials)
            }.max { mean($0.qgs)! < mean($1.qgs)! }
        }
        var status: String {
            if trials.contains(where: { $0.state == .failed || $0.state == .cancelled }) { return "blocked by a failed or cancelled trial" }
            return trials.allSatisfy(\.state.isFinished) ? "done" : "searching"
        }
    }

    func progress(_ stored: [TrialRecord]) -> [Progress] {
        var byCombination = [[Double: [TrialRecord]]](repeating: [:], count: combinations.count)
        for t in stored where seeds.contains(t.seed) {
            if let c = combination(of: t.config), let x = point(of: t.config) { byCombination[c][x, default: []].append(t) }
        }
        return combinations.indices.map { c in
            Progress(index: c, template: combinations[c],
                     points: points[c].map { x in (x, (byCombination[c][x] ?? []).sorted { $0.seed < $1.seed }) })
        }
    }

    /// The points of every combination and how many trials that makes.
    public func planText(plannedTrials: Int) -> String {
        let labels = combinationLabels
        var out = "random search on \(axisName): \(trials) log-uniform point(s) in [\(formatNumber(low)), \(formatNumber(high))) per combination "
        out += "(draw seed \(seed)), each with seed(s) \(seeds.map(String.init).joined(separator: ", ")):\n"
        for c in combinations.indices {
            out += "  \(labels[c]): \(axisName) \(points[c].sorted().map(formatNumber).joined(separator: ", "))\n"
        }
        out += "  \(maxTrials) trials (\(combinations.count) combination(s) × \(trials) point(s) × \(seeds.count) seed(s))\n"
        return out
    }

    /// Each combination's progress and best point so far.
    public func statusText(_ stored: [TrialRecord]) -> String? {
        let labels = combinationLabels
        let width = labels.map(\.count).max() ?? 0
        var out = "random search on \(axisName) in [\(formatNumber(low)), \(formatNumber(high))) (log-uniform), \(trials) point(s) per combination, "
            + "best = highest mean QG over \(seeds.count) seed(s):\n"
        for c in progress(stored) {
            let finished = c.points.filter { !$0.trials.isEmpty && $0.trials.allSatisfy(\.state.isFinished) }.count
            var line = "  " + labels[c.index].padding(toLength: width, withPad: " ", startingAt: 0) + "  \(c.status): \(finished)/\(trials) point(s) finished"
            if let best = c.best { line += ", best \(axisName) \(formatNumber(best.value)) (mean QG \(formatNumber(mean(best.qgs)!)))" }
            out += line + "\n"
        }
        return out
    }

    /// `lipsweep export random`: one row per combination — its own columns (as `export
    /// boundary`), `status` (searching, done, blocked …), `points` (drawn), `finished` (points
    /// whose every seed finished), `trials` (stored), `best_<axis>` (the point with the
    /// highest mean QG among those whose every seed finished with a QG and none diverged),
    /// `best_qg_mean`/`best_qg_sd` (over its seeds), `l_30_mean` (mean L₃₀ of its trials),
    /// `two_over_l_30` (= 2 / l_30_mean) and `two_over_m` (hinge); appended, `best_qg_ci_low`/
    /// `best_qg_ci_high`, the two-sided 95 % t-interval of the best point's mean QG (NULL below
    /// 2 seeds). QG is the sweep's `qg.estimator` (`decisionQG`).
    public func exportTable(_ stored: [TrialRecord]) -> TextTable? {
        let (keyColumns, keyCells) = combinationColumns()
        var table = TextTable(columns: keyColumns + ["status", "points", "finished", "trials", "best_\(axisName)", "best_qg_mean",
                                                     "best_qg_sd", "l_30_mean", "two_over_l_30", "two_over_m",
                                                     "best_qg_ci_low", "best_qg_ci_high"])
        func opt(_ x: Double?) -> TextTable.Cell { x.map(TextTable.Cell.number) ?? .null }
        for c in progress(stored) {
            let best = c.best
            let lMean = mean(best?.trials.compactMap(\.l30) ?? [])
            let interval = best.flatMap { SeedInterval($0.qgs)?.twoSided() }
            let finished = c.points.filter { !$0.trials.isEmpty && $0.trials.allSatisfy(\.state.isFinished) }.count
            table.rows.append(keyCells(c.template) + [
                .text(c.status), .int(c.points.count), .int(finished), .int(c.trials.count),
                opt(best?.value), opt(best.flatMap { mean($0.qgs) }), opt(best.flatMap { sampleSD($0.qgs) }),
                opt(lMean), opt(lMean.map { 2 / $0 }), opt(c.template.training.margin.map { 2 / $0 }),
                opt(interval?.low), opt(interval?.high),
            ])
        }
        return table
    }

    public func report(_ stored: [TrialRecord]) -> SearchReport {
        let intro = "<p>Per combination: \(trials) log-uniform point(s) of \(axisName) in [\(formatNumber(low)), \(formatNumber(high))), each with every seed; the best point is the one with the highest mean QG.</p>\n"
        return SearchReport(sections: [("Random search", intro, exportTable(stored)!)])
    }

    /// `search: {kind: random, axis, range, trials, seed}` as read.
    struct Section: SearchSection {
        var axis: TrialKey
        var low: Double, high: Double
        var trials: Int
        var seed = 0

        var searchedAxis: TrialKey? { axis }

        init(_ given: [String: Located], section: Located) throws {
            axis = try AxisSectionKeys.axis(given, kind: RandomSearch.kind)
            (low, high) = try AxisSectionKeys.range(given, section: section, kind: RandomSearch.kind)
            guard let trialsAt = given["trials"] else {
                throw section.error("a random search needs trials", fix: "add `trials: 8` (the points drawn per combination of the other axes)")
            }
            trials = try trialsAt.positiveInt()
            if let v = given["seed"] {
                seed = try v.int()
                guard seed >= 0 else { throw v.error("the draw's seed cannot be negative, found \(seed)", fix: "give a seed ≥ 0, e.g. 0") }
            }
        }

        /// Every trial (combination × point × seed), numbered in that order.
        func plan(over expanded: [PlannedTrial]) -> (search: any SweepSearch, trials: [PlannedTrial]) {
            let (templates, values, seeds) = axisCombinations(expanded, axis: axis)
            let search = RandomSearch(axis: axis.name, low: low, high: high, trials: trials, seed: seed, seeds: seeds, combinations: templates)
            var planned: [PlannedTrial] = []
            for c in templates.indices { for x in search.points[c] { for s in seeds {
                let t = search.trial(combination: c, point: x, seed: s)
                planned.append(PlannedTrial(number: planned.count, config: t.config, configHash: t.configHash,
                                            values: values[c].merging(t.values) { $1 }))
            } } }
            return (search, planned)
        }
    }
}
