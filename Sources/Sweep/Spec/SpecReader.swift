import Foundation
import TrialProtocol

/// Walks the YAML tree section by section, keeping each given value's location for errors.
/// The trial-config sections (dataset, model, training, evaluation, qg) are read through
/// TrialKeys, the one definition of their keys, kinds, ranges and defaults; this reader adds
/// only what is a sweep's own: the grid, per-regularizer values, seeds, the executor, the
/// search and pruning (SearchSections.swift).
struct SpecReader {
    let file: String
    let baseDirectory: URL

    var name: String?
    /// The sections' values, where they were given.
    var sectionValues: [String: (value: TrialValue, at: Located)] = [:]
    /// Grid axes by key name (`training.lr`): their values and where the axis was given.
    var grid: [String: (values: [TrialValue], at: Located)] = [:]
    var perRegularizer: [RegularizerKind: [RegularizerParameter: (values: [Double], at: Located)]] = [:]
    var perRegularizerAt: [RegularizerKind: Located] = [:]
    var seeds: [Int]?
    var executor = ExecutorConfig()
    /// `search: {kind: …}` as its kind read it, and where it was given (nil: a grid).
    var search: (section: any SearchSection, at: Located)?
    var pruning: PruningSection?

    init(file: String, baseDirectory: URL) { self.file = file; self.baseDirectory = baseDirectory }

    mutating func read(_ root: Located) throws {
        let sections = ["name"] + TrialKeys.sections + ["grid", "regularizers", "seeds", "repeats", "search", "pruning", "executor", "output"]
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
            case "grid": try readGrid(value)
            case "regularizers": try readPerRegularizer(value)
            case "seeds":
                seedsAt = value
                let items = try value.nonEmptyItems(what: "seed")
                seeds = try items.map { try $0.int() }
                if let negative = seeds!.first(where: { $0 < 0 }) {
                    throw value.error("a seed cannot be negative, found \(negative)", fix: "give seeds ≥ 0")
                }
                if Set(seeds!).count != seeds!.count { throw value.error("a seed is listed twice", fix: "list each seed once") }
            case "repeats":
                repeatsAt = value
                seeds = Array(1...(try value.positiveInt()))
            case "executor": try readExecutor(value)
            case "output": try readOutput(value)
            case "search": try readSearch(value)
            case "pruning": try readPruning(value)
            default: try readSection(key, value)
            }
        }
        if let repeatsAt, seedsAt != nil {
            throw repeatsAt.error("give either seeds or repeats, not both", fix: "keep `seeds: [...]` or `repeats: N`")
        }
    }

    /// One trial-config section; `null` keeps a key's default.
    mutating func readSection(_ section: String, _ at: Located) throws {
        let keys = TrialKeys.keys(of: section)
        for (key, v) in try at.mapping(allowed: keys.map(\.key)) where !v.isNull {
            let trialKey = keys.first { $0.key == key }!
            let value = try v.value(of: trialKey)
            if trialKey.name == "evaluation.eval_every", value != .integer(1) {
                throw v.error("QG needs the PRD of every epoch of its window", fix: "set eval_every: 1")
            }
            sectionValues[trialKey.name] = (value, v)
        }
    }

    mutating func readGrid(_ at: Located) throws {
        let axes = TrialKeys.gridAxes
        for (key, v) in try at.mapping(allowed: axes.map(\.key)) {
            let axis = axes.first { $0.key == key }!
            let values: [TrialValue]
            if case let .word(choices) = axis.kind {
                values = try gridWords(v, choices: choices).map(TrialValue.word)
            } else {
                let numbers = try gridNumbers(v)
                let items = v.items.count == numbers.count ? v.items : Array(repeating: v, count: numbers.count)
                values = try zip(numbers, items).map { number, item in
                    do { return try axis.kind.value(ofNumber: number) } catch let error as ValueProblem {
                        throw item.error("\(key) \(error.problem)", fix: error.fix)
                    }
                }
            }
            grid[axis.name] = (values, v)
        }
    }

    /// `regularizers: {hinge: {margin: [...], alpha: [...]}, lecam: {lambda: [...]}}`
    mutating func readPerRegularizer(_ at: Located) throws {
        for (name, block) in try at.mapping(allowed: RegularizerKind.allCases.map(\.rawValue)) {
            let regularizer = RegularizerKind(rawValue: name)!
            perRegularizerAt[regularizer] = block
            for (word, v) in try block.mapping(allowed: RegularizerParameter.allCases.map(\.rawValue)) {
                let parameter = RegularizerParameter(rawValue: word)!
                guard regularizer.uses(parameter) else {
                    throw v.error("`\(name)` does not use \(word)", fix: "remove it (\(parameter.usersText))")
                }
                let key = TrialKeys.named("training.\(word)")!
                let values = try gridNumbers(v).map { number in
                    do { return try key.kind.value(ofNumber: number).number! } catch let error as ValueProblem {
                        throw v.error("\(word) \(error.problem)", fix: error.fix)
                    }
                }
                perRegularizer[regularizer, default: [:]][parameter] = (values, v)
            }
        }
    }

    /// `output: {optuna_journal: FILE, optuna_objective: qg}`; a relative FILE starts at the
    /// spec's directory.
    mutating func readOutput(_ at: Located) throws {
        for (key, v) in try at.mapping(allowed: ["optuna_journal", "optuna_objective"]) {
            switch key {
            case "optuna_journal":
                let raw = try v.string()
                let url = raw.hasPrefix("/") ? URL(fileURLWithPath: raw) : baseDirectory.appendingPathComponent(raw)
                let path = url.standardizedFileURL.path
                if let (problem, fix) = OutputConfig.journalProblem(path) { throw v.error(problem, fix: fix) }
                executor.output.optunaJournal = path
            default:
                executor.output.optunaObjective = try v.choice(OptunaObjective.all.map(\.name))
            }
        }
    }

    /// `executor: {kind, workers, …, slurm: {…}}`, read through ExecutorKeys: a dotted key
    /// (`slurm.partition`) is a key of the nested mapping of its kind.
    mutating func readExecutor(_ at: Located) throws {
        let groups = ExecutorKeys.all.compactMap { key in key.name.firstIndex(of: ".").map { String(key.name[..<$0]) } }
            .reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        let top = ExecutorKeys.all.filter { !$0.name.contains(".") }
        // `worker` is the spec's alone (no `run` option): its paths resolve against the spec's directory.
        for (key, v) in try at.mapping(allowed: top.map(\.name) + groups + ["worker"]) {
            if key == "worker" { executor.worker = try WorkerArgv.resolve(v, baseDirectory: baseDirectory); continue }
            guard groups.contains(key) else { try setExecutorKey(ExecutorKeys.named(key)!, v); continue }
            let nested = ExecutorKeys.all.filter { $0.name.hasPrefix(key + ".") }
            for (name, s) in try v.mapping(allowed: nested.map { String($0.name.dropFirst(key.count + 1)) }) {
                try setExecutorKey(ExecutorKeys.named("\(key).\(name)")!, s)
            }
        }
    }

    private mutating func setExecutorKey(_ key: ExecutorKey, _ at: Located) throws {
        let value: ExecutorValue
        switch key.kind {
        case .integer: value = .integer(try at.int())
        case .number: value = .number(try at.double())
        case .text, .kind: value = .text(try at.string())
        case .texts: value = .texts(try at.items.map { try $0.string() })
        }
        do { key.apply(try key.check(value), to: &executor) } catch { throw at.error(error.problem, fix: error.fix) }
    }
}
