import Foundation
import TrialProtocol

/// `search:` as read: a boundary search's settings and where each was given.
struct BoundarySection {
    var axis: TrialKey
    var low: Double
    var high: Double
    var initial: Int
    var resolution: Double
    var threshold: Double
}

/// `pruning:` as read, with the rungs' places for the checks that need the expanded config.
struct PruningSection {
    var settings: PruningSettings
    var rungItems: [Located]
}

/// The sweep's own sections beyond the grid (README, "search:" and "pruning:"): read with
/// their places, then checked against the expanded trials (the search axis must not be a grid
/// axis; the rungs must lie between qg.epochs and training.epochs).
extension SpecReader {
    static let searchKeys = ["kind", "axis", "range", "initial", "resolution", "threshold"]

    mutating func readSearch(_ at: Located) throws {
        let entries = try at.mapping(allowed: Self.searchKeys)
        let given = Dictionary(uniqueKeysWithValues: entries.map { ($0.key, $0.value) })
        guard let kindAt = given["kind"] else {
            throw at.error("the search needs a kind", fix: "add `kind: boundary` (`kind: grid` is the same as no search section)")
        }
        if try kindAt.choice(["grid", "boundary"]) == "grid" {
            if let extra = entries.first(where: { $0.key != "kind" }) {
                throw extra.value.error("only a boundary search takes \(extra.key)", fix: "set `kind: boundary`, or remove it")
            }
            return
        }
        var section = BoundarySection(axis: TrialKeys.named("training.lr")!, low: 0, high: 0, initial: 5, resolution: 1.5, threshold: 0)
        if let axisAt = given["axis"] { section.axis = try Self.searchAxis(axisAt) }
        guard let rangeAt = given["range"] else {
            throw at.error("a boundary search needs a range", fix: "add `range: [1e-4, 1.0]` (where to look, on a log scale)")
        }
        let bounds = rangeAt.items
        guard case .sequence = rangeAt.node, bounds.count == 2 else {
            throw rangeAt.error("expected [low, high]", fix: "give two numbers, e.g. [1e-4, 1.0]")
        }
        section.low = try bounds[0].double()
        section.high = try bounds[1].double()
        guard section.low > 0, section.high > 0 else {
            throw rangeAt.error("the range must be positive (the search runs on a log scale), found [\(formatNumber(section.low)), \(formatNumber(section.high))]",
                                fix: "give 0 < low < high, e.g. [1e-4, 1.0]")
        }
        guard section.low < section.high else {
            throw rangeAt.error("the range is reversed or empty: [\(formatNumber(section.low)), \(formatNumber(section.high))]",
                                fix: "give [low, high] with low < high, e.g. [1e-4, 1.0]")
        }
        if let v = given["initial"] {
            section.initial = try v.int()
            guard section.initial >= 2 else {
                throw v.error("initial must be at least 2 (a bracket needs two points), found \(section.initial)", fix: "give 2 or more, e.g. 5")
            }
        }
        if let v = given["resolution"] {
            section.resolution = try v.double()
            guard section.resolution > 1 else {
                throw v.error("resolution must be above 1 (the bracket's high/low ratio to reach), found \(formatNumber(section.resolution))",
                              fix: "give a ratio such as 1.5")
            }
        }
        if let v = given["threshold"] { section.threshold = try v.double() }
        boundary = (section, at)
    }

    /// The searched key: a real-valued grid axis that every trial has (lr, lr_g, alpha_reg).
    private static func searchAxis(_ at: Located) throws -> TrialKey {
        let name = try at.string()
        let axes = TrialKeys.gridAxes
        guard let key = axes.first(where: { $0.key == name }) else {
            let hint = didYouMean(name, among: axes.map(\.key)).map { "did you mean `\($0)`? " } ?? ""
            throw at.error("`\(name)` is not an axis of the grid", fix: "\(hint)search lr or lr_g")
        }
        switch key.kind {
        case .number: break
        case .integer: throw at.error("`\(name)` takes whole numbers; a boundary search bisects a real number on a log scale",
                                      fix: "search lr or lr_g, and list \(name)'s values in grid.\(name)")
        default: throw at.error("`\(name)` is not numeric; a boundary search bisects a number on a log scale",
                                fix: "search lr or lr_g, and list \(name)'s values in grid.\(name)")
        }
        if let parameter = RegularizerParameter(rawValue: name) {
            throw at.error("`\(name)` is a regularizer parameter, which not every trial has (\(parameter.usersText))",
                           fix: "search lr or lr_g, and list \(name)'s values in grid.\(name)")
        }
        return key
    }

    mutating func readPruning(_ at: Located) throws {
        let entries = try at.mapping(allowed: ["rungs", "keep", "metric"])
        let given = Dictionary(uniqueKeysWithValues: entries.map { ($0.key, $0.value) })
        guard let rungsAt = given["rungs"] else {
            throw at.error("pruning needs rungs", fix: "add `rungs: [30, 60, 150]` (the epochs at which trials are compared)")
        }
        guard case .sequence = rungsAt.node else { throw rungsAt.error("expected a list of epochs", fix: "write it as [30, 60, 150]") }
        let items = try rungsAt.nonEmptyItems(what: "epoch")
        var rungs: [Int] = []
        for item in items {
            let rung = try item.positiveInt()
            if let previous = rungs.last, rung <= previous {
                throw item.error("the rungs must increase: \(rung) comes after \(previous)", fix: "list each epoch once, in increasing order")
            }
            rungs.append(rung)
        }
        guard let keepAt = given["keep"] else {
            throw at.error("pruning needs keep", fix: "add `keep: 0.34` (the share of trials that go on at each rung)")
        }
        let keep = try keepAt.double()
        guard keep > 0, keep < 1 else {
            throw keepAt.error("keep must lie strictly between 0 and 1, found \(formatNumber(keep))",
                               fix: "give the share that goes on at each rung, e.g. 0.34")
        }
        var metric = PruningMetric.bestPRD
        if let metricAt = given["metric"] { metric = PruningMetric(name: try metricAt.choice(PruningMetric.names))! }
        pruning = PruningSection(settings: PruningSettings(rungs: rungs, keep: keep, metric: metric), rungItems: items)
    }

    /// The checks that need the whole spec: the searched axis is the search's alone, and the
    /// rungs lie between the QG window and the training's end (every trial of a sweep has the
    /// same epochs and QG window: neither is a grid axis).
    func checkSearchAndPruning(base: TrialConfig) throws {
        if case let (section, _)? = boundary {
            if let axis = grid[section.axis.name] {
                throw axis.at.error("\(section.axis.key) is the searched axis (search.axis), whose values the search chooses",
                                    fix: "remove grid.\(section.axis.key)")
            }
            if let given = sectionValues[section.axis.name] {
                throw given.at.error("\(section.axis.name) is the searched axis (search.axis), whose values the search chooses",
                                     fix: "remove it")
            }
        }
        if let pruning {
            let first = pruning.settings.rungs[0]
            if first < base.qg.epochs {
                throw pruning.rungItems[0].error("the first rung (\(first)) is below qg.epochs = \(base.qg.epochs), so a trial pruned there would have no QG",
                                                 fix: "start the rungs at \(base.qg.epochs) or later")
            }
            if let i = pruning.settings.rungs.firstIndex(where: { $0 > base.training.epochs }) {
                throw pruning.rungItems[i].error("rung \(pruning.settings.rungs[i]) is past the \(base.training.epochs) training epochs",
                                                 fix: "keep the rungs at most training.epochs")
            }
        }
    }

    /// For a boundary search, the search over the expanded grid's combinations and its
    /// initial trials (every combination × initial point × seed), numbered in that order.
    func boundarySearch(over expanded: [PlannedTrial]) -> (BoundarySearch, [PlannedTrial])? {
        guard case let (section, _)? = boundary else { return nil }
        var templates: [TrialConfig] = [], values: [[String: TrialValue]] = [], seeds: [Int] = []
        for trial in expanded {
            let template = BoundarySearch.template(trial.config, axis: section.axis)
            if !templates.contains(template) { templates.append(template); values.append(trial.values) }
            if !seeds.contains(trial.config.training.seed) { seeds.append(trial.config.training.seed) }
        }
        let search = BoundarySearch(axis: section.axis.name, low: section.low, high: section.high, initial: section.initial,
                                    resolution: section.resolution, threshold: section.threshold, seeds: seeds, combinations: templates)
        var trials: [PlannedTrial] = []
        for c in templates.indices { for x in search.initialPoints { for seed in seeds {
            let t = search.trial(combination: c, point: x, seed: seed)
            trials.append(PlannedTrial(number: trials.count, config: t.config, configHash: t.configHash,
                                       values: values[c].merging(t.values) { $1 }))
        } } }
        return (search, trials)
    }
}
