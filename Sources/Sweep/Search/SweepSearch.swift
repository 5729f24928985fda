import Foundation

/// How a spec chooses its trials (`search:`): a grid (no section, or `kind: grid`), or a
/// boundary search.
public enum SweepSearch: Equatable, Sendable {
    case grid
    case boundary(BoundarySearch)

    public var boundary: BoundarySearch? { if case let .boundary(b) = self { b } else { nil } }
}

extension SweepRecord {
    /// The boundary search the sweep was last run with; nil for a grid.
    public func boundarySearch() throws -> BoundarySearch? { try decoded(searchJSON, column: "search_json") }

    /// The successive halving the sweep was last run with; nil for none.
    public func pruningSettings() throws -> PruningSettings? { try decoded(pruningJSON, column: "pruning_json") }

    private func decoded<T: Decodable>(_ json: String?, column: String) throws -> T? {
        guard let json else { return nil }
        do { return try JSONDecoder().decode(T.self, from: Data(json.utf8)) } catch {
            throw StoreError.unknownSetting(sweep: name, column: column, value: json)
        }
    }

    /// How the scheduler adds trials to this sweep: its boundary search, or, for a grid, the
    /// `planned` trials (none for `sync`: `run` stored them all).
    func searchStrategy(planned: [PlannedTrial]) throws -> any SearchStrategy {
        try boundarySearch() ?? GridSearch(planned: planned)
    }

    /// The pruner of the sweep's stored settings, if any.
    func pruner() throws -> (any Pruner)? { try pruningSettings().map { SuccessiveHalving(settings: $0) } }
}

/// JSON of a stored setting (sorted keys, so rewriting the same setting writes the same text).
func settingJSON<T: Encodable>(_ value: T?) -> String? {
    guard let value else { return nil }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try! encoder.encode(value), as: UTF8.self)   // plain structs of numbers and strings
}
