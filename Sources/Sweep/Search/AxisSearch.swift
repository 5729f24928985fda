import Foundation
import TrialProtocol

/// What the searches over one real-valued axis share (boundary, random): the searched key,
/// the combinations of the other grid axes it runs for, and every seed of each point.
public protocol AxisSearch {
    /// The searched key's name (`training.lr`).
    var axis: String { get }
    var seeds: [Int] { get }
    /// One trial config per combination of the other axes, with the searched value and the
    /// seed normalised (`template`), in the order the grid expands them.
    var combinations: [TrialConfig] { get }
}

extension AxisSearch {
    var axisKey: TrialKey { TrialKeys.named(axis)! }
    /// The axis as a grid names it (`lr`).
    public var axisName: String { axisKey.key }

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

    /// "hinge m=4 α=1": the regularizer and its parameters, then every other key whose value
    /// differs between combinations (`loss=bce`), for logs, status and the report.
    public var combinationLabels: [String] {
        let shown = ["training.regularizer", "training.margin", "training.alpha", "training.lambda", axis]
        let others = ConfigLeaves.varying(combinations).filter { !shown.contains($0) }
        return combinations.map { c in
            let leaves = ConfigLeaves(c)
            var parts = [c.training.regularizer.rawValue]
            for (name, short) in [("training.margin", "m"), ("training.alpha", "α"), ("training.lambda", "λ")] {
                if let v = leaves[name]?.number { parts.append("\(short)=\(formatNumber(v))") }
            }
            for name in others { parts.append("\(TrialKeys.named(name)!.key)=\(leaves[name]?.cell.display ?? "-")") }
            return parts.joined(separator: " ")
        }
    }

    /// The columns that tell combinations apart in an export: the regularizer's own
    /// (`regularizer`, `loss`, `margin`, `alpha`, `lambda`), then every other key that differs
    /// between combinations; with each combination's cells.
    func combinationColumns() -> (names: [String], cells: (TrialConfig) -> [TextTable.Cell]) {
        let own = ["training.regularizer", "training.loss", "training.margin", "training.alpha", "training.lambda"]
        let keys = own + ConfigLeaves.varying(combinations).filter { !own.contains($0) && $0 != axis }
        return (keys.map { TrialKeys.named($0)!.key }, { c in
            let leaves = ConfigLeaves(c)
            return keys.map { leaves[$0]?.cell ?? .null }
        })
    }
}

/// The combinations of the expanded grid's trials for a search on `axis`: their templates in
/// grid order, the grid values that made each, and the seeds.
func axisCombinations(_ expanded: [PlannedTrial], axis: TrialKey)
    -> (templates: [TrialConfig], values: [[String: TrialValue]], seeds: [Int]) {
    var templates: [TrialConfig] = [], values: [[String: TrialValue]] = [], seeds: [Int] = []
    for trial in expanded {
        var template = trial.config
        axis.apply(.number(1), to: &template)
        template.training.seed = 0
        if !templates.contains(template) { templates.append(template); values.append(trial.values) }
        if !seeds.contains(trial.config.training.seed) { seeds.append(trial.config.training.seed) }
    }
    return (templates, values, seeds)
}

/// A search section's common keys, read where they were given.
enum AxisSectionKeys {
    /// `axis:` (default lr): a real-valued grid axis that every trial has (lr, lr_g, alpha_reg).
    static func axis(_ given: [String: Located], kind: String) throws -> TrialKey {
        guard let at = given["axis"] else { return TrialKeys.named("training.lr")! }
        let name = try at.string()
        let axes = TrialKeys.gridAxes
        guard let key = axes.first(where: { $0.key == name }) else {
            let hint = didYouMean(name, among: axes.map(\.key)).map { "did you mean `\($0)`? " } ?? ""
            throw at.error("`\(name)` is not an axis of the grid", fix: "\(hint)search lr or lr_g")
        }
        switch key.kind {
        case .number: break
        case .integer: throw at.error("`\(name)` takes whole numbers; a \(kind) search chooses real values on a log scale",
                                      fix: "search lr or lr_g, and list \(name)'s values in grid.\(name)")
        default: throw at.error("`\(name)` is not numeric; a \(kind) search chooses numbers on a log scale",
                                fix: "search lr or lr_g, and list \(name)'s values in grid.\(name)")
        }
        if let parameter = RegularizerParameter(rawValue: name) {
            throw at.error("`\(name)` is a regularizer parameter, which not every trial has (\(parameter.usersText))",
                           fix: "search lr or lr_g, and list \(name)'s values in grid.\(name)")
        }
        return key
    }

    /// `range: [low, high]` with 0 < low < high (the searches run on a log scale).
    static func range(_ given: [String: Located], section: Located, kind: String) throws -> (low: Double, high: Double) {
        guard let rangeAt = given["range"] else {
            throw section.error("a \(kind) search needs a range", fix: "add `range: [1e-4, 1.0]` (where to look, on a log scale)")
        }
        let bounds = rangeAt.items
        guard case .sequence = rangeAt.node, bounds.count == 2 else {
            throw rangeAt.error("expected [low, high]", fix: "give two numbers, e.g. [1e-4, 1.0]")
        }
        let low = try bounds[0].double(), high = try bounds[1].double()
        guard low > 0, high > 0 else {
            throw rangeAt.error("the range must be positive (the search runs on a log scale), found [\(formatNumber(low)), \(formatNumber(high))]",
                                fix: "give 0 < low < high, e.g. [1e-4, 1.0]")
        }
        guard low < high else {
            throw rangeAt.error("the range is reversed or empty: [\(formatNumber(low)), \(formatNumber(high))]",
                                fix: "give [low, high] with low < high, e.g. [1e-4, 1.0]")
        }
        return (low, high)
    }
}
