import Foundation
import TrialProtocol
import UserErrors

/// How a sweep chooses its trials. The scheduler's ledger asks after every event, and `sync`
/// at each step, for the trials to add; a grid knows all of them up front, a boundary search
/// derives them from the finished trials. Every search is a deterministic function of the
/// spec and the stored trials, so any process that reads the database continues the same one.
public protocol SearchStrategy {
    /// Trials to add now, given every trial the sweep holds, each with a line for the log
    /// (empty: not logged).
    func additions(stored: [TrialRecord]) -> [(trials: [PlannedTrial], note: String)]
    /// Whether a stored trial is one this search would run: a rerun whose spec no longer
    /// covers a stored trial is refused (SpecChange).
    func covers(_ trial: TrialRecord) -> Bool
}

/// A kind of search (`search: {kind: …}`), planned from a spec or read back from the
/// database. A kind is one type conforming to this protocol plus its `SearchRegistration`
/// in `SearchKinds.all`: it owns its spec section (the registration's `read`), its plan text
/// and maximum trial count, its status text, its export and report sections, and its stored
/// JSON (`sweeps.search_json`, tagged with `kind`). The scheduler, the store, `status`,
/// `plan`, `export` and `report` go through this protocol and name no concrete kind.
public protocol SweepSearch: SearchStrategy, Codable, Sendable {
    /// The word of `search: {kind: …}`, and the tag of the stored JSON.
    static var kind: String { get }
    /// The most trials the search can take (a grid: exactly those planned).
    var maxTrials: Int { get }
    /// What `plan` and `run` call the trials a spec plans: "trials", or "initial trials" for
    /// a search that adds more as it runs.
    var plannedNoun: String { get }
    /// The log line of a new sweep: "20 initial trial(s) of a boundary search (at most 32)".
    func runText(plannedTrials: Int) -> String
    /// `plan`'s lines about the search, after the table ("" for none).
    func planText(plannedTrials: Int) -> String
    /// Where the search stands over the stored trials, for `status` and the end of `run`
    /// (nil: the counts by state say it all).
    func statusText(_ stored: [TrialRecord]) -> String?
    /// `lipsweep export <kind>` (nil when the kind has no export).
    func exportTable(_ stored: [TrialRecord]) -> TextTable?
    /// The report's sections about the search.
    func report(_ stored: [TrialRecord]) -> SearchReport
}

extension SweepSearch {
    public var plannedNoun: String { "trials" }
    public func runText(plannedTrials: Int) -> String { "\(plannedTrials) trial(s)" }
    public func statusText(_ stored: [TrialRecord]) -> String? { nil }
    public func exportTable(_ stored: [TrialRecord]) -> TextTable? { nil }
    public func report(_ stored: [TrialRecord]) -> SearchReport { SearchReport() }
}

/// What a search adds to `lipsweep report`.
public struct SearchReport: Sendable {
    /// A paragraph under the QG-against-learning-rate plots (HTML).
    public var qgNote: String?
    /// Shaded spans of learning rate on the QG plots, one per combination of the other axes.
    public var bands: [Band] = []
    /// Sections after the QG plots: a heading, a paragraph (HTML) and a table.
    public var sections: [(title: String, intro: String, table: TextTable)] = []
    /// The search's own figures (inline SVG, also in `sections`' intros), by the name
    /// `lipsweep report --figure` knows them by.
    public var figures: [(name: String, svg: String)] = []

    public struct Band: Sendable {
        /// The combination (the curve it belongs to is the one of its regularizer parameters).
        public var template: TrialConfig
        public var lo: Double
        public var hi: Double
        public var label: String
    }

    public init(qgNote: String? = nil, bands: [Band] = [], sections: [(title: String, intro: String, table: TextTable)] = [],
                figures: [(name: String, svg: String)] = []) {
        self.qgNote = qgNote; self.bands = bands; self.sections = sections; self.figures = figures
    }
}

/// How a kind is found by its name: reading its spec section, decoding its stored JSON, and
/// what `export <kind>` does.
struct SearchRegistration: Sendable {
    let kind: String
    /// The keys of its `search:` section besides `kind`.
    let keys: [String]
    /// What `lipsweep export <kind>` writes (nil: the kind has no export).
    let exportHelp: String?
    /// Reads the section's entries (by key, each at its line; `section` is the whole node).
    let read: @Sendable (_ given: [String: Located], _ section: Located) throws -> any SearchSection
    /// Decodes the stored JSON.
    let decode: @Sendable (Data) throws -> any SweepSearch

    init<S: SweepSearch>(_ type: S.Type, keys: [String], exportHelp: String? = nil,
                         read: @escaping @Sendable (_ given: [String: Located], _ section: Located) throws -> any SearchSection) {
        kind = S.kind; self.keys = keys; self.exportHelp = exportHelp; self.read = read
        decode = { try JSONDecoder().decode(S.self, from: $0) }
    }
}

/// `search:` of a spec as read, before the grid is expanded.
protocol SearchSection {
    /// The key whose values the search chooses (no grid axis or section may set it), if any.
    var searchedAxis: TrialKey? { get }
    /// The search over the expanded grid's trials (every seed of every combination), and the
    /// trials a run stores first, numbered from 0; throws a SpecError when the section does
    /// not fit the expanded grid (e.g. more replicates than seeds).
    func plan(over expanded: [PlannedTrial]) throws -> (search: any SweepSearch, trials: [PlannedTrial])
}

/// The registered kinds of search, by `kind:` name.
public enum SearchKinds {
    static let all: [SearchRegistration] = [GridSearch.registration, BoundarySearch.registration, RandomSearch.registration]

    /// What a spec without `search:` means: a grid.
    static var noSection: any SearchSection { GridSearch.Section() }

    /// The registered names, in registration order (for error messages).
    public static var names: [String] { all.map(\.kind) }
    /// The kinds that have an export (`lipsweep export <kind>`), with what it writes.
    public static var exports: [(kind: String, help: String)] { all.compactMap { r in r.exportHelp.map { (r.kind, $0) } } }

    static func named(_ kind: String) -> SearchRegistration? { all.first { $0.kind == kind } }

    /// The stored JSON of a search: its own fields and `"kind"`, sorted keys.
    public static func json(_ search: any SweepSearch) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try! encoder.encode(Tagged(search: search)), as: UTF8.self)   // numbers, strings, configs
    }

    /// A stored search. Without JSON, a grid (a grid stored nothing before kinds had tags);
    /// JSON without `kind` is a boundary search (the only search stored before the tag).
    static func decode(_ json: String?) throws -> any SweepSearch {
        guard let json else { return GridSearch(planned: []) }
        let data = Data(json.utf8)
        let kind = try JSONDecoder().decode(Tag.self, from: data).kind ?? BoundarySearch.kind
        guard let registration = named(kind) else { throw UnknownKind(kind: kind) }
        return try registration.decode(data)
    }

    private struct Tag: Decodable { var kind: String? }
    struct UnknownKind: Error { let kind: String }

    /// The search's own keys and its kind in one JSON object.
    private struct Tagged: Encodable {
        let search: any SweepSearch
        enum Key: String, CodingKey { case kind }
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(type(of: search).kind, forKey: .kind)
            try search.encode(to: encoder)
        }
    }
}

extension SweepRecord {
    /// The search the sweep was last run with (a grid when none was stored).
    public func search() throws -> any SweepSearch {
        do { return try SearchKinds.decode(searchJSON) } catch {
            throw StoreError.unknownSetting(sweep: name, column: "search_json", value: searchJSON ?? "")
        }
    }

    /// The successive halving the sweep was last run with; nil for none.
    public func pruningSettings() throws -> PruningSettings? {
        guard let pruningJSON else { return nil }
        do { return try JSONDecoder().decode(PruningSettings.self, from: Data(pruningJSON.utf8)) } catch {
            throw StoreError.unknownSetting(sweep: name, column: "pruning_json", value: pruningJSON)
        }
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
