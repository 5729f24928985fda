import Foundation

/// One trial of a sweep: its number (stable across reruns once stored), config and hash.
public struct PlannedTrial: Equatable, Sendable {
    public let number: Int
    public let config: TrialConfig
    public let configHash: String
}

/// A parsed, validated sweep spec (SPEC §8) expanded into its trials. Nothing runs and
/// nothing is written until a spec has been fully validated here.
public struct SweepSpec: Sendable {
    public let file: String
    public let text: String
    public let name: String
    public var executor: ExecutorConfig
    public let trials: [PlannedTrial]
    /// Axes that vary across trials, in table order (for `plan` and reports).
    public let varyingAxes: [String]

    /// SHA-256 of the spec text as written.
    public var specHash: String { SHA256.hex(Data(text.utf8)) }

    /// Reads and validates the spec at `path`. Relative `dataset.path` values resolve against
    /// the spec's directory.
    public static func load(path: String) throws -> SweepSpec {
        let url = URL(fileURLWithPath: path)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw SpecError(file: path, line: nil, keyPath: "", problem: "cannot read the spec file",
                            fix: "check the path (try sweeps/smoke.yaml)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw SpecError(file: path, line: nil, keyPath: "", problem: "the spec is not UTF-8 text", fix: "save it as UTF-8")
        }
        return try parse(text: text, file: path, baseDirectory: url.deletingLastPathComponent())
    }

    public static func parse(text: String, file: String, baseDirectory: URL) throws -> SweepSpec {
        var reader = SpecReader(file: file, baseDirectory: baseDirectory)
        try reader.read(try composeSpec(text: text, file: file))
        let (trials, axes) = try reader.expand()
        return SweepSpec(file: file, text: text, name: reader.name ?? URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent,
                         executor: reader.executor, trials: trials, varyingAxes: axes)
    }
}

/// Walks the YAML tree section by section, keeping each given value's location for errors.
struct SpecReader {
    let file: String
    let baseDirectory: URL

    var name: String?
    var source = "simulated", dataPath: Located?, train: Int?, test: Int?, dataSeed = 1
    var zOff = 7.0, threshold = 0.01
    var model = TrialConfig.Model(preset: "tiny")
    var epochs: Located?, batch: Int?, loss = "hinge", dSteps = 3, alphaReg = 1.0, lr = 1e-3, lrG: Double?
    var regularizer = "sn", seed = 1
    var margin: (Double, Located)?, alpha: (Double, Located)?, lambda: (Double, Located)?
    var evalEvery = 1, clusters: Int?, prdRuns: Int?
    var qgEpochs: Located?, qgMetric = "phys_prd"
    var gridWordsByAxis: [String: (values: [String], at: Located)] = [:]
    var gridNumbersByAxis: [String: (values: [Double], at: Located)] = [:]
    var perRegularizer: [String: [String: (values: [Double], at: Located)]] = [:]
    var perRegularizerAt: [String: Located] = [:]
    var seeds: [Int]?
    var executor = ExecutorConfig()

    static let numericAxes = ["lr", "lr_g", "alpha_reg", "batch", "d_steps", "margin", "alpha", "lambda"]
    static let losses = ["bce", "hinge", "ls", "wasserstein"]

    init(file: String, baseDirectory: URL) { self.file = file; self.baseDirectory = baseDirectory }

    mutating func read(_ root: Located) throws {
        let sections = ["name", "dataset", "model", "training", "evaluation", "qg", "grid", "regularizers",
                        "seeds", "repeats", "executor"]
        var repeatsAt: Located?, seedsAt: Located?
        for (key, value) in try root.mapping(allowed: sections) {
            switch key {
            case "name": name = try value.string()
            case "dataset": try readDataset(value)
            case "model": try readModel(value)
            case "training": try readTraining(value)
            case "evaluation": try readEvaluation(value)
            case "qg": try readQG(value)
            case "grid": try readGrid(value)
            case "regularizers": try readPerRegularizer(value)
            case "seeds":
                seedsAt = value
                seeds = try value.items.map { try $0.int() }
                if Set(seeds!).count != seeds!.count { throw value.error("a seed is listed twice", fix: "list each seed once") }
            case "repeats":
                repeatsAt = value
                seeds = Array(1...(try value.positiveInt()))
            case "executor": try readExecutor(value)
            default: break
            }
        }
        if let repeatsAt, seedsAt != nil {
            throw repeatsAt.error("give either seeds or repeats, not both", fix: "keep `seeds: [...]` or `repeats: N`")
        }
    }

    mutating func readDataset(_ at: Located) throws {
        for (key, v) in try at.mapping(allowed: ["source", "path", "train", "test", "seed", "z_off", "threshold"]) {
            switch key {
            case "source": source = try v.choice(["simulated", "npz"])
            case "path": dataPath = v.isNull ? nil : v
            case "train": train = try v.positiveInt()
            case "test": test = try v.positiveInt()
            case "seed": dataSeed = try v.int()
            case "z_off": zOff = try v.double()
            case "threshold":
                threshold = try v.double()
                if threshold < 0 { throw v.error("the readout threshold cannot be negative", fix: "give GeV ≥ 0, e.g. 0.01") }
            default: break
            }
        }
    }

    mutating func readModel(_ at: Located) throws {
        for (key, v) in try at.mapping(allowed: ["preset", "d_z", "width", "d_widths", "fc"]) {
            switch key {
            case "preset": model.preset = try v.choice(PresetDefaults.names)
            case "d_z": model.dZ = try v.positiveInt()
            case "width": model.width = try v.positiveInt()
            case "d_widths":
                model.dWidths = try v.intList()
                if model.dWidths!.count != 5 { throw v.error("the discriminator has 5 conv widths", fix: "give five numbers, e.g. [8, 16, 32, 32, 32]") }
            case "fc":
                model.fc = try v.intList()
                if model.fc!.count != 2 { throw v.error("the discriminator has 2 hidden FC widths", fix: "give two numbers, e.g. [64, 32]") }
            default: break
            }
        }
    }

    mutating func readTraining(_ at: Located) throws {
        let keys = ["epochs", "batch", "loss", "d_steps", "alpha_reg", "lr", "lr_g", "regularizer", "margin", "alpha", "lambda", "seed"]
        for (key, v) in try at.mapping(allowed: keys) {
            switch key {
            case "epochs": _ = try v.positiveInt(); epochs = v
            case "batch": batch = try v.positiveInt()
            case "loss": loss = try v.choice(Self.losses)
            case "d_steps": dSteps = try v.positiveInt()
            case "alpha_reg": alphaReg = try checked("alpha_reg", try v.double(), v)
            case "lr": lr = try checked("lr", try v.double(), v)
            case "lr_g": lrG = v.isNull ? nil : try checked("lr_g", try v.double(), v)
            case "regularizer": regularizer = try v.choice(Regularizers.all)
            case "margin": margin = (try checked("margin", try v.double(), v), v)
            case "alpha": alpha = (try checked("alpha", try v.double(), v), v)
            case "lambda": lambda = (try checked("lambda", try v.double(), v), v)
            case "seed": seed = try v.int()
            default: break
            }
        }
    }

    mutating func readEvaluation(_ at: Located) throws {
        for (key, v) in try at.mapping(allowed: ["eval_every", "clusters", "prd_runs"]) {
            switch key {
            case "eval_every":
                evalEvery = try v.positiveInt()
                if evalEvery != 1 {
                    throw v.error("QG needs the PRD of every epoch of its window", fix: "set eval_every: 1")
                }
            case "clusters": clusters = try v.positiveInt()
            case "prd_runs": prdRuns = try v.positiveInt()
            default: break
            }
        }
    }

    mutating func readQG(_ at: Located) throws {
        for (key, v) in try at.mapping(allowed: ["epochs", "metric"]) {
            if key == "epochs" {
                if try v.positiveInt() < 2 { throw v.error("QG needs at least 2 epochs", fix: "use 30 as in the paper") }
                qgEpochs = v
            } else {
                qgMetric = try v.choice(["phys_prd", "raw_prd"])
            }
        }
    }

    mutating func readGrid(_ at: Located) throws {
        for (key, v) in try at.mapping(allowed: ["regularizer", "loss"] + Self.numericAxes) {
            switch key {
            case "regularizer": gridWordsByAxis[key] = (try gridWords(v, choices: Regularizers.all), v)
            case "loss": gridWordsByAxis[key] = (try gridWords(v, choices: Self.losses), v)
            default:
                let values = try gridNumbers(v)
                for (value, item) in zip(values, v.items.count == values.count ? v.items : Array(repeating: v, count: values.count)) {
                    _ = try checked(key, value, item)
                }
                gridNumbersByAxis[key] = (values, v)
            }
        }
    }

    /// `regularizers: {hinge: {margin: [...], alpha: [...]}, lecam: {lambda: [...]}}`
    mutating func readPerRegularizer(_ at: Located) throws {
        for (name, block) in try at.mapping(allowed: Regularizers.all) {
            perRegularizerAt[name] = block
            for (parameter, v) in try block.mapping(allowed: ["margin", "alpha", "lambda"]) {
                guard Regularizers.uses(name, parameter) else {
                    throw v.error("`\(name)` does not use \(parameter)", fix: "remove it (\(usersText(parameter)))")
                }
                let values = try gridNumbers(v)
                for value in values { _ = try checked(parameter, value, v) }
                perRegularizer[name, default: [:]][parameter] = (values, v)
            }
        }
    }

    mutating func readExecutor(_ at: Located) throws {
        for (key, v) in try at.mapping(allowed: ["kind", "workers", "threads", "retries", "backoff_seconds", "slurm"]) {
            switch key {
            case "kind": executor.kind = try v.choice(ExecutorConfig.kinds)
            case "workers": executor.workers = try v.positiveInt()
            case "threads": executor.threads = try v.positiveInt()
            case "retries":
                executor.retries = try v.int()
                if executor.retries < 0 { throw v.error("retries cannot be negative", fix: "give 0 or more") }
            case "backoff_seconds":
                executor.backoffSeconds = try v.double()
                if executor.backoffSeconds < 0 { throw v.error("backoff cannot be negative", fix: "give seconds ≥ 0") }
            case "slurm":
                let keys = ["partition", "time", "account", "cpus_per_task", "mem", "array_throttle", "extra_flags"]
                for (k, s) in try v.mapping(allowed: keys) {
                    switch k {
                    case "partition": executor.slurm.partition = try s.string()
                    case "time": executor.slurm.time = try s.string()
                    case "account": executor.slurm.account = try s.string()
                    case "cpus_per_task": executor.slurm.cpusPerTask = try s.positiveInt()
                    case "mem": executor.slurm.mem = try s.string()
                    case "array_throttle": executor.slurm.arrayThrottle = try s.positiveInt()
                    case "extra_flags": executor.slurm.extraFlags = try s.items.map { try $0.string() }
                    default: break
                    }
                }
            default: break
            }
        }
    }

    /// Range rules per numeric option; the error names the value's line and the fix.
    func checked(_ key: String, _ value: Double, _ at: Located) throws -> Double {
        switch key {
        case "lr", "lr_g":
            if value <= 0 { throw at.error("the learning rate must be positive, found \(value)", fix: "give a value such as 1e-3") }
        case "margin":
            if value <= 0 { throw at.error("the margin must be positive, found \(value)", fix: "give m > 0, e.g. 2") }
        case "alpha", "lambda", "alpha_reg":
            if value < 0 { throw at.error("\(key) cannot be negative, found \(value)", fix: "give a value ≥ 0") }
        case "batch", "d_steps":
            if value < 1 || value != value.rounded() { throw at.error("\(key) must be a whole number ≥ 1", fix: "e.g. 64") }
        default: break
        }
        return value
    }

    func usersText(_ parameter: String) -> String {
        let users = Regularizers.all.filter { Regularizers.uses($0, parameter) }
        return "\(parameter) only applies to \(users.joined(separator: ", "))"
    }

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
                                            lr: rate, lrG: rateG, regularizer: reg, margin: m, alpha: a, lambda: l, seed: s),
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
