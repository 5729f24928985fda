import UserErrors

/// A trial config that cannot be used: `<place>: <problem>; <fix>`, the place being
/// `file:line` or the command-line option. The CLI prints it alone and exits with code 2.
public struct TrialConfigError: UserInputError, Equatable {
    public var place: String
    public var problem: String
    public var fix: String
    public init(place: String, problem: String, fix: String) {
        self.place = place; self.problem = problem; self.fix = fix
    }
    public var description: String { "\(place): \(problem); \(fix)" }
}

/// Builds a trial config from keys given in any order and from several sources (a config
/// file, then command-line options): the preset first, since it sets the other keys'
/// defaults, then every other key, then the rules that relate keys (a path without a source
/// means npz; a regularizer's unset parameters take their defaults), then the config's
/// `problems`, each blamed on the place its key was given.
public struct TrialConfigBuilder: Sendable {
    /// A value and where it was given (`file:line`, `--option`).
    struct Given: Sendable { var value: TrialValue; var place: String }
    private var given: [String: Given] = [:]
    private var order: [String] = []
    /// Where problems not tied to a given key are reported.
    public var defaultPlace: String

    public init(defaultPlace: String) { self.defaultPlace = defaultPlace }

    /// Records `value` for `key` (a later value replaces an earlier one).
    public mutating func set(_ key: TrialKey, _ value: TrialValue, at place: String) {
        if given[key.name] == nil { order.append(key.name) }
        given[key.name] = Given(value: value, place: place)
    }

    public func place(of keyName: String) -> String? { given[keyName]?.place }
    public func isGiven(_ keyName: String) -> Bool { given[keyName] != nil }

    /// The config without the relation checks (a sweep applies its grid values before them).
    public func unchecked() -> TrialConfig {
        let preset = given["model.preset"].flatMap { Preset(rawValue: $0.value.description) } ?? TrialConfig.defaultPreset
        var config = TrialConfig(preset: preset)
        // The default regularizer's parameters were filled in; they follow the one chosen.
        for p in RegularizerParameter.allCases { config.training[p] = nil }
        for name in order where name != "model.preset" {
            TrialKeys.named(name)!.apply(given[name]!.value, to: &config)
        }
        if isGiven("dataset.path") && !isGiven("dataset.source") { config.dataset.source = .npz }
        config.training.fillRegularizerDefaults()
        return config
    }

    /// The config, or the first of its problems that stop a trial, at the place its key was
    /// given (a lone trial may run without a QG; a sweep refuses that too, GridExpansion).
    public func build() throws(TrialConfigError) -> TrialConfig {
        let config = unchecked()
        try check(config)
        return config
    }

    /// Throws the first problem of `config` that stops the trial, placed where its key was given.
    public func check(_ config: TrialConfig) throws(TrialConfigError) {
        if let first = config.problems.first(where: \.stopsTheTrial) {
            let place = first.blamedKeys.lazy.compactMap { self.place(of: $0) }.first ?? defaultPlace
            throw TrialConfigError(place: place, problem: "`\(first.key)` \(first.problem)", fix: first.fix)
        }
    }
}
