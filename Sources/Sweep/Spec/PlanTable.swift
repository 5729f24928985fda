import Foundation
import TrialProtocol

/// The `lipsweep plan` table: one row per trial with the axes that vary, and the count.
public func planTable(_ spec: SweepSpec) -> TextTable {
    var table = TextTable(columns: ["#", "config_hash"] + spec.varyingAxes + ["epochs"])
    for trial in spec.trials {
        let cells: [TextTable.Cell] = spec.varyingAxes.map { axis in
            switch trial.values[axis] ?? defaultValue(axis, trial.config) {
            case let .integer(i)?: .int(i)
            case let .number(x)?: .number(x)
            case let .word(w)?: .text(w)
            case let .integers(l)?: .text(l.map(String.init).joined(separator: ","))
            case nil: .text("-")
            }
        }
        table.rows.append([.int(trial.number), .text(String(trial.configHash.prefix(12)))] + cells + [.int(trial.config.training.epochs)])
    }
    return table
}

/// The value of an axis the grid did not vary (always shown: loss, lr).
private func defaultValue(_ axis: String, _ config: TrialConfig) -> TrialValue? {
    switch axis {
    case "loss": .word(config.training.loss.rawValue)
    case "lr": .number(config.training.lr)
    default: nil
    }
}

/// `lipsweep plan --json`: `[{"number":0,"config_hash":"…","config":{…}}, …]`, each config the
/// very trial config its worker receives.
public func planJSON(_ spec: SweepSpec) -> String {
    let items = spec.trials.map { trial in
        "{\"number\":\(trial.number),\"config_hash\":\"\(trial.configHash)\",\"config\":"
            + String(decoding: trial.config.canonicalJSON, as: UTF8.self) + "}"
    }
    return "[" + items.joined(separator: ",\n") + "]"
}

/// What `plan` says beyond the table: for a boundary search, the initial points every
/// combination runs and the most trials the search can take (against a grid of the same
/// resolution); for pruning, its rungs.
public func planSearchText(_ spec: SweepSpec) -> String {
    var out = ""
    if let b = spec.search.boundary {
        let step = pow(b.high / b.low, 1 / Double(b.initial - 1))
        let finest = (0..<b.maxBisections).reduce(step) { r, _ in r.squareRoot() }
        out += "boundary search on \(b.axisName) in [\(formatNumber(b.low)), \(formatNumber(b.high))] (log scale), for each of \(b.combinations.count) combination(s): "
        out += b.combinationLabels.joined(separator: "; ") + "\n"
        out += "  initial points: \(b.axisName) \(b.initialPoints.map(formatNumber).joined(separator: ", ")) (a factor \(formatNumber(step)) apart), "
        out += "seed(s) \(b.seeds.map(String.init).joined(separator: ", "))\n"
        out += "  then bisects the bracket where mean QG crosses \(formatNumber(b.threshold)) until high/low ≤ \(formatNumber(b.resolution)): "
        out += "at most \(b.maxBisections) more point(s) per combination (a factor \(formatNumber(finest)))\n"
        let gridPoints = b.gridPointsOfSameResolution
        out += "  at most \(b.maxTrials) trials (\(spec.trials.count) initial); a grid of the same resolution needs "
        out += "\(gridPoints * b.combinations.count * b.seeds.count) (\(gridPoints) points per combination)\n"
    }
    if let p = spec.pruning {
        let epochs = spec.trials.first?.config.training.epochs ?? 0
        let rungs = p.rungs.filter { $0 < epochs }
        out += "successive halving (ASHA) at epoch(s) \(rungs.map(String.init).joined(separator: ", ")) of \(epochs): a trial goes on when among the best "
        out += "\(formatNumber(p.keep * 100)) % by \(p.metric) of the trials that reached the rung so far, else it is pruned (its epochs and QG kept)\n"
    }
    return out
}
