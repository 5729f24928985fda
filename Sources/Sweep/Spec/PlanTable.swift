/// The `lipsweep plan` table: one row per trial with the axes that vary, and the count.
public func planTable(_ spec: SweepSpec) -> TextTable {
    var table = TextTable(columns: ["#", "config_hash"] + spec.varyingAxes + ["epochs"])
    for trial in spec.trials {
        let t = trial.config.training
        let cells: [TextTable.Cell] = spec.varyingAxes.map { axis in
            switch axis {
            case "regularizer": return .text(t.regularizer)
            case "loss": return .text(t.loss)
            case "margin": return t.margin.map(TextTable.Cell.number) ?? .text("-")
            case "alpha": return t.alpha.map(TextTable.Cell.number) ?? .text("-")
            case "lambda": return t.lambda.map(TextTable.Cell.number) ?? .text("-")
            case "lr": return .number(t.lr)
            case "lr_g": return t.lrG.map(TextTable.Cell.number) ?? .text("-")
            case "alpha_reg": return .number(t.alphaReg)
            case "batch": return .int(t.batch)
            case "d_steps": return .int(t.dSteps)
            default: return .int(t.seed)
            }
        }
        table.rows.append([.int(trial.number), .text(String(trial.configHash.prefix(12)))] + cells + [.int(t.epochs)])
    }
    return table
}
