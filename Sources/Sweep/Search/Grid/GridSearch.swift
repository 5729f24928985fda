import Foundation
import TrialProtocol

/// A grid (no `search:` section, or `kind: grid`): the spec's trials, the product of the grid
/// axes and the seeds, all known before anything runs.
public struct GridSearch: SweepSearch {
    public static let kind = "grid"
    static let registration = SearchRegistration(GridSearch.self, keys: []) { _, _ in Section() }

    /// Empty when read back from the database (`sync`): the `run` that stored the search
    /// stored every trial of the grid with it.
    let planned: [PlannedTrial]

    init(planned: [PlannedTrial]) { self.planned = planned }

    public var maxTrials: Int { planned.count }
    public func planText(plannedTrials: Int) -> String { "" }

    public func additions(stored: [TrialRecord]) -> [(trials: [PlannedTrial], note: String)] {
        let have = Set(stored.map(\.configHash))
        let missing = planned.filter { !have.contains($0.configHash) }
        return missing.isEmpty ? [] : [(missing, "")]
    }

    public func covers(_ trial: TrialRecord) -> Bool { planned.contains { $0.configHash == trial.configHash } }

    // Stored as its kind alone: the trials are in the database.
    public init(from decoder: any Decoder) throws { planned = [] }
    public func encode(to encoder: any Encoder) throws {}

    struct Section: SearchSection {
        var searchedAxis: TrialKey? { nil }
        func plan(over expanded: [PlannedTrial]) -> (search: any SweepSearch, trials: [PlannedTrial]) {
            (GridSearch(planned: expanded), expanded)
        }
    }
}
