import CaloFormat
import Foundation
import TrialProtocol

/// From the read sections to the list of trials: the base config (TrialConfigBuilder: the
/// preset, then the sections' values), the data file checked once, then the product of the
/// grid axes — regularizer × its own margin/α/λ × the other axes × seed — each trial checked
/// by the config's own `problems` before anything runs.
extension SpecReader {
    func expand() throws -> (trials: [PlannedTrial], axes: [String]) {
        var sections = sectionValues
        if let path = try checkedDataPath() { sections["dataset.path"]?.value = .word(path.path) }
        var builder = TrialConfigBuilder(defaultPlace: file)
        for (name, given) in sections { builder.set(TrialKeys.named(name)!, given.value, at: given.at.place) }
        let base = builder.unchecked()

        let regularizers = grid["training.regularizer"]?.values.map { RegularizerKind(rawValue: $0.description)! }
            ?? [base.training.regularizer]
        // A regularizer parameter given where no trial uses it is a mistake, not a no-op.
        for p in RegularizerParameter.allCases where !regularizers.contains(where: { $0.uses(p) }) {
            if let given = grid["training.\(p.rawValue)"]?.at ?? sections["training.\(p.rawValue)"]?.at {
                throw given.error("\(p.rawValue) is given but no trial uses it (\(p.usersText))",
                                  fix: "add such a regularizer to grid.regularizer, or remove \(p.rawValue)")
            }
        }
        for (regularizer, at) in perRegularizerAt where !regularizers.contains(regularizer) {
            throw at.error("`\(regularizer.rawValue)` is not a regularizer of this sweep", fix: "add it to grid.regularizer or remove this block")
        }

        let parameterKeys = Set(RegularizerParameter.allCases.map { "training.\($0.rawValue)" })
        let otherAxes = TrialKeys.gridAxes.filter { $0.name != "training.regularizer" && !parameterKeys.contains($0.name) }
        let combinations = product(otherAxes.map { axis in grid[axis.name]?.values.map { Optional($0) } ?? [nil] })
        let seedList = seeds ?? [base.training.seed]

        var trials: [PlannedTrial] = []
        for regularizer in regularizers {
            let strengths = RegularizerParameter.allCases.map { parameterValues($0, for: regularizer, sections: sections) }
            for m in strengths[0] { for a in strengths[1] { for l in strengths[2] {
                for combination in combinations { for seed in seedList {
                    var config = base
                    config.training.regularizer = regularizer
                    config.training.margin = m; config.training.alpha = a; config.training.lambda = l
                    var values: [String: TrialValue] = ["regularizer": .word(regularizer.rawValue), "seed": .integer(seed)]
                    for (p, v) in zip(RegularizerParameter.allCases, [m, a, l]) { if let v { values[p.rawValue] = .number(v) } }
                    for (axis, value) in zip(otherAxes, combination) {
                        if let value { axis.apply(value, to: &config); values[axis.key] = value }
                    }
                    config.training.seed = seed
                    try refuseProblems(of: config, sections: sections)
                    trials.append(PlannedTrial(number: trials.count, config: config, configHash: config.configHash, values: values))
                } }
            } } }
        }
        var axes = ["regularizer"]
        axes += RegularizerParameter.allCases.filter { p in regularizers.contains { $0.uses(p) } }.map(\.rawValue)
        axes += otherAxes.filter { ["loss", "lr"].contains($0.key) || grid[$0.name] != nil }.map(\.key)
        axes.append("seed")
        return (trials, axes)
    }

    /// Every combination of the axes' values, the first axis varying slowest.
    private func product(_ axes: [[TrialValue?]]) -> [[TrialValue?]] {
        axes.reduce([[]]) { partial, values in partial.flatMap { prefix in values.map { prefix + [$0] } } }
    }

    /// The values of `parameter` for `regularizer`: its own block, else the grid, else the
    /// training section's single value, else the default; `[nil]` when it does not use it.
    private func parameterValues(_ parameter: RegularizerParameter, for regularizer: RegularizerKind,
                                 sections: [String: (value: TrialValue, at: Located)]) -> [Double?] {
        guard regularizer.uses(parameter) else { return [nil] }
        if let own = perRegularizer[regularizer]?[parameter] { return own.values }
        let key = "training.\(parameter.rawValue)"
        if let axis = grid[key] { return axis.values.map(\.number) }
        if let single = sections[key]?.value.number { return [single] }
        return [parameter.defaultValue]
    }

    /// The first problem of a trial's config, at the line of the value to change (the key's
    /// grid axis or section value, else a related key's, else the preset that set it, else the
    /// spec file). A sweep refuses every problem, also those that would leave a trial without QG.
    private func refuseProblems(of config: TrialConfig, sections: [String: (value: TrialValue, at: Located)]) throws {
        guard let problem = config.problems.first else { return }
        let at = problem.blamedKeys.lazy.compactMap { grid[$0]?.at ?? sections[$0]?.at }.first
        guard let at else {
            throw SpecError(file: file, line: nil, keyPath: problem.key, problem: problem.problem, fix: problem.fix)
        }
        throw SpecError(file: file, line: at.line, keyPath: problem.key, problem: problem.problem, fix: problem.fix)
    }

    /// The data file of `dataset.path`, resolved against the spec's directory and checked once,
    /// here, from its headers (keys, dtypes, shapes, counts) — a file no trial could read is a
    /// mistake in the spec, not a failure of every worker. Its events must cover the largest
    /// train + test of the sweep.
    private func checkedDataPath() throws -> URL? {
        guard let given = sectionValues["dataset.path"] else { return nil }
        let raw = given.value.description
        let url = (raw.hasPrefix("/") ? URL(fileURLWithPath: raw) : baseDirectory.appendingPathComponent(raw)).standardizedFileURL
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw given.at.error("no such file: \(url.path)", fix: "give an existing .npz file (a relative path starts at the spec's directory)")
        }
        let events: Int
        do { events = try CaloNPZ.inspect(url) } catch {
            throw given.at.error("\(error.key.map { "\($0): " } ?? "")\(error.problem)", fix: error.fix)
        }
        let preset = sectionValues["model.preset"].map { Preset(rawValue: $0.value.description)! } ?? TrialConfig.defaultPreset
        let train = sectionValues["dataset.train"]?.value.number.map(Int.init) ?? TrialConfig(preset: preset).dataset.train
        let test = sectionValues["dataset.test"]?.value.number.map(Int.init) ?? TrialConfig(preset: preset).dataset.test
        if events < train + test {
            let at = sectionValues["dataset.train"]?.at ?? sectionValues["dataset.test"]?.at ?? given.at
            throw at.error("\(url.lastPathComponent) holds \(events) events, fewer than dataset.train + dataset.test = \(train + test)",
                           fix: "lower dataset.train/test to at most \(events) together, or give a larger file")
        }
        return url
    }
}
