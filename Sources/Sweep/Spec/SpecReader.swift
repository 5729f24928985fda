import Foundation

/// Walks the YAML tree section by section, keeping each given value's location for errors.
struct SpecReader {
    let file: String
    let baseDirectory: URL

    var name: String?
    var source = "simulated", dataPath: Located?, train: Int?, test: Int?, dataSeed = 1
    var zOff = 7.0, threshold = 0.01
    var model = TrialConfig.Model(preset: "tiny")
    var epochs: Located?, batch: Int?, loss = "hinge", dSteps = 3, alphaReg = 1.0, lr = 1e-3, lrG: Double?
    var regularizer = "sn", seed = 1, divergenceThreshold: Double?
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
            case "name":
                // The name becomes a directory under checkpoints/ and part of export file names.
                let text = try value.string()
                guard !text.isEmpty, !text.hasPrefix("."),
                      text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
                    throw value.error("`\(text)` cannot name a sweep", fix: "use letters, digits, '-', '_' and '.', e.g. soft-margin-1")
                }
                name = text
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
        let keys = ["epochs", "batch", "loss", "d_steps", "alpha_reg", "lr", "lr_g", "regularizer", "margin", "alpha", "lambda", "seed",
                    "divergence_threshold"]
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
            case "divergence_threshold": divergenceThreshold = try checked("divergence_threshold", try v.double(), v)
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
                let keys = ["partition", "time", "account", "cpus_per_task", "mem", "array_throttle", "extra_flags", "spool", "poll_seconds"]
                for (k, s) in try v.mapping(allowed: keys) {
                    switch k {
                    case "partition": executor.slurm.partition = try s.string()
                    case "time": executor.slurm.time = try s.string()
                    case "account": executor.slurm.account = try s.string()
                    case "cpus_per_task": executor.slurm.cpusPerTask = try s.positiveInt()
                    case "mem": executor.slurm.mem = try s.string()
                    case "array_throttle": executor.slurm.arrayThrottle = try s.positiveInt()
                    case "extra_flags": executor.slurm.extraFlags = try s.items.map { try $0.string() }
                    case "spool": executor.slurm.spool = try s.string()
                    case "poll_seconds":
                        executor.slurm.pollSeconds = try s.double()
                        if executor.slurm.pollSeconds <= 0 { throw s.error("poll interval must be positive", fix: "give seconds > 0, e.g. 10") }
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
        case "divergence_threshold":
            if value <= 0 { throw at.error("divergence_threshold must be positive, found \(value)", fix: "give a loss magnitude such as 1e8") }
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
}
