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

/// What `plan` says beyond the table: the search's own lines (a boundary search: the initial
/// points every combination runs and the most trials it can take), then pruning's rungs.
public func planSearchText(_ spec: SweepSpec) -> String {
    var out = spec.search.planText(plannedTrials: spec.trials.count)
    if let p = spec.pruning {
        let epochs = spec.trials.first?.config.training.epochs ?? 0
        let rungs = p.rungs.filter { $0 < epochs }
        out += "successive halving (ASHA) at epoch(s) \(rungs.map(String.init).joined(separator: ", ")) of \(epochs): a trial goes on when among the best "
        out += "\(formatNumber(p.keep * 100)) % by \(p.metric) of the trials that reached the rung so far, else it is pruned (its epochs and QG kept)\n"
    }
    return out
}
