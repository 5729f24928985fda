import Foundation
import TrialProtocol

/// One trial of a sweep: its number (stable across reruns once stored), config and hash, and
/// the grid values that made it (by axis name, for `plan`).
public struct PlannedTrial: Equatable, Sendable {
    public let number: Int
    public let config: TrialConfig
    public let configHash: String
    public var values: [String: TrialValue] = [:]
}

extension TrialConfig {
    /// Lowercase hex SHA-256 of `canonicalJSON`: a trial's identity within its sweep.
    public var configHash: String { ContentHash.sha256Hex(canonicalJSON) }
}

/// A parsed, validated sweep spec (README, "The sweep spec") expanded into its trials. Nothing
/// runs and nothing is written until a spec has been fully validated here: every mistake that
/// would make a trial fail inside a worker, or the sweep do nothing, is refused with its line.
public struct SweepSpec: Sendable {
    public let file: String
    public let text: String
    public let name: String
    public var executor: ExecutorConfig
    /// The trials a run stores first: for a grid every trial, for a boundary search the
    /// initial points' trials (the search adds the others as it runs).
    public let trials: [PlannedTrial]
    public let search: any SweepSearch
    public let pruning: PruningSettings?
    /// Axes that vary across trials, in table order (for `plan` and reports).
    public let varyingAxes: [String]

    /// SHA-256 of the spec text as written.
    public var specHash: String { ContentHash.sha256Hex(Data(text.utf8)) }

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
        var (trials, axes) = try reader.expand()
        guard let first = trials.first else {
            throw SpecError(file: file, line: nil, keyPath: "grid", problem: "the sweep has no trials", fix: "give every grid axis at least one value")
        }
        try reader.checkSearchAndPruning(base: first.config)
        let section = reader.search?.section ?? SearchKinds.noSection
        let (search, planned) = try section.plan(over: trials)
        trials = planned
        if let axis = section.searchedAxis?.key, !axes.contains(axis) { axes.insert(axis, at: axes.count - 1) }
        return SweepSpec(file: file, text: text, name: reader.name ?? URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent,
                         executor: reader.executor, trials: trials, search: search, pruning: reader.pruning?.settings, varyingAxes: axes)
    }
}
