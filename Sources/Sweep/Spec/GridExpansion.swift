import Foundation

/// From the read sections to the list of trials: preset defaults made explicit, the checks
/// that need the whole spec (QG window, data file, parameters no trial uses), then the
/// product of the grid axes.
extension SpecReader {
    /// Expands the grid: regularizer × (its own margin/alpha/lambda) × loss × numeric axes × seed.
    func expand() throws -> ([PlannedTrial], [String]) {
        let preset = PresetDefaults.table[model.preset]!
        let totalEpochs = try epochs?.positiveInt() ?? preset.epochs
        let windowEpochs = try qgEpochs?.positiveInt() ?? 30
        if totalEpochs < windowEpochs {
            let at = epochs ?? qgEpochs!
            throw at.error("\(totalEpochs) training epochs are fewer than the QG window of \(windowEpochs) epochs",
                           fix: "raise training.epochs to at least \(windowEpochs) or lower qg.epochs")
        }
        var resolvedPath: String?
        if source == "npz" {
            guard let dataPath, let raw = try? dataPath.string() else {
                throw SpecError(file: file, line: nil, keyPath: "dataset.path", problem: "source npz needs a file",
                                fix: "add `path: events.npz` under dataset")
            }
            let url = raw.hasPrefix("/") ? URL(fileURLWithPath: raw) : baseDirectory.appendingPathComponent(raw)
            let path = url.standardizedFileURL.path
            guard FileManager.default.fileExists(atPath: path) else {
                throw dataPath.error("no such file: \(path)", fix: "give an existing .npz file (a relative path starts at the spec's directory)")
            }
            resolvedPath = path
        } else if let dataPath {
            throw dataPath.error("a path is given but source is simulated", fix: "set `source: npz` or remove path")
        }

        let regularizers = gridWordsByAxis["regularizer"]?.values ?? [regularizer]
        // A regularizer parameter given where no trial uses it is a mistake, not a no-op.
        for parameter in ["margin", "alpha", "lambda"] where !regularizers.contains(where: { Regularizers.uses($0, parameter) }) {
            let given = gridNumbersByAxis[parameter]?.at ?? trainingParameter(parameter)?.1
            if let given {
                throw given.error("\(parameter) is given but no trial uses it (\(usersText(parameter)))",
                                  fix: "add such a regularizer to grid.regularizer, or remove \(parameter)")
            }
        }
        for (name, at) in perRegularizerAt where !regularizers.contains(name) {
            throw at.error("`\(name)` is not a regularizer of this sweep", fix: "add it to grid.regularizer or remove this block")
        }

        let losses = gridWordsByAxis["loss"]?.values ?? [loss]
        let seedList = seeds ?? [seed]
        let lrs = gridNumbersByAxis["lr"]?.values ?? [lr]
        let lrGs: [Double?] = gridNumbersByAxis["lr_g"]?.values.map { Optional($0) } ?? [lrG]
        let alphaRegs = gridNumbersByAxis["alpha_reg"]?.values ?? [alphaReg]
        let batches = gridNumbersByAxis["batch"]?.values.map { Int($0) } ?? [batch ?? preset.batch]
        let dStepsList = gridNumbersByAxis["d_steps"]?.values.map { Int($0) } ?? [dSteps]

        var trials: [PlannedTrial] = []
        for reg in regularizers {
            let margins = try parameterValues("margin", for: reg, fallback: nil)
            let alphas = try parameterValues("alpha", for: reg, fallback: 1.0)
            let lambdas = try parameterValues("lambda", for: reg, fallback: 0.3)
            for m in margins { for a in alphas { for l in lambdas { for lossName in losses {
                for rate in lrs { for rateG in lrGs { for ar in alphaRegs { for b in batches { for ds in dStepsList {
                    for s in seedList {
                        let config = TrialConfig(
                            dataset: .init(source: source, path: resolvedPath, train: train ?? preset.train,
                                           test: test ?? preset.test, seed: dataSeed, zOff: zOff, threshold: threshold),
                            model: model,
                            training: .init(epochs: totalEpochs, batch: b, loss: lossName, dSteps: ds, alphaReg: ar,
                                            lr: rate, lrG: rateG, regularizer: reg, margin: m, alpha: a, lambda: l, seed: s,
                                            divergenceThreshold: divergenceThreshold),
                            evaluation: .init(evalEvery: evalEvery, clusters: clusters ?? preset.clusters,
                                              prdRuns: prdRuns ?? preset.prdRuns),
                            qg: .init(epochs: windowEpochs, metric: qgMetric))
                        trials.append(PlannedTrial(number: trials.count, config: config, configHash: config.configHash))
                    }
                } } } } }
            } } } }
        }
        var axes = ["regularizer"]
        if regularizers.contains(where: { Regularizers.uses($0, "margin") }) { axes.append("margin") }
        if regularizers.contains(where: { Regularizers.uses($0, "alpha") }) { axes.append("alpha") }
        if regularizers.contains(where: { Regularizers.uses($0, "lambda") }) { axes.append("lambda") }
        axes.append("loss")
        axes.append("lr")
        for axis in ["lr_g", "alpha_reg", "batch", "d_steps"] where gridNumbersByAxis[axis] != nil { axes.append(axis) }
        axes.append("seed")
        return (trials, axes)
    }

    func trainingParameter(_ parameter: String) -> (Double, Located)? {
        switch parameter {
        case "margin": return margin
        case "alpha": return alpha
        default: return lambda
        }
    }

    /// The values of `parameter` for regularizer `reg`: its own block, else the grid, else
    /// training's single value, else the default; `[nil]` when `reg` does not use it.
    func parameterValues(_ parameter: String, for reg: String, fallback: Double?) throws -> [Double?] {
        guard Regularizers.uses(reg, parameter) else { return [nil] }
        if let own = perRegularizer[reg]?[parameter] { return own.values }
        if let grid = gridNumbersByAxis[parameter] { return grid.values }
        if let single = trainingParameter(parameter) { return [single.0] }
        if let fallback { return [fallback] }
        throw SpecError(file: file, line: nil, keyPath: "grid.\(parameter)",
                        problem: "the \(reg) regularizer needs a \(parameter)",
                        fix: "add `\(parameter): [1.5, 3]` under grid (or under regularizers.\(reg))")
    }
}
