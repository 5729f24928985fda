import Foundation
import TrialProtocol

/// `pruning:` as read, with the rungs' places for the checks that need the expanded config.
struct PruningSection {
    var settings: PruningSettings
    var rungItems: [Located]
}

/// The sweep's own sections beyond the grid (README, "search:" and "pruning:"): read with
/// their places, then checked against the expanded trials (the search axis must not be a grid
/// axis; the rungs must lie between qg.epochs and training.epochs).
extension SpecReader {
    /// `search: {kind: …, …}`: the kind's registration reads the other keys (SearchKinds).
    mutating func readSearch(_ at: Located) throws {
        let allKeys = SearchKinds.all.flatMap(\.keys).reduce(into: ["kind"]) { if !$0.contains($1) { $0.append($1) } }
        let entries = try at.mapping(allowed: allKeys)
        let given = Dictionary(uniqueKeysWithValues: entries.map { ($0.key, $0.value) })
        guard let kindAt = given["kind"] else {
            throw at.error("the search needs a kind", fix: "add `kind:` with one of \(SearchKinds.names.joined(separator: ", ")) (`kind: grid` is the same as no search section)")
        }
        let registration = SearchKinds.named(try kindAt.choice(SearchKinds.names))!
        if let extra = entries.first(where: { $0.key != "kind" && !registration.keys.contains($0.key) }) {
            let takers = SearchKinds.all.filter { $0.keys.contains(extra.key) }.map(\.kind)
            throw extra.value.error("a \(registration.kind) search does not take \(extra.key)" + (registration.keys.isEmpty ? "" : " (its keys: \(registration.keys.joined(separator: ", ")))"),
                                    fix: "remove it, or set `kind:` to \(takers.joined(separator: " or "))")
        }
        search = (try registration.read(given, at), at)
    }

    mutating func readPruning(_ at: Located) throws {
        let entries = try at.mapping(allowed: ["rungs", "keep", "metric", "min_trials"])
        let given = Dictionary(uniqueKeysWithValues: entries.map { ($0.key, $0.value) })
        guard let rungsAt = given["rungs"] else {
            throw at.error("pruning needs rungs", fix: "add `rungs: [30, 60, 150]` (the epochs at which trials are compared)")
        }
        guard case .sequence = rungsAt.node else { throw rungsAt.error("expected a list of epochs", fix: "write it as [30, 60, 150]") }
        let items = try rungsAt.nonEmptyItems(what: "epoch")
        var rungs: [Int] = []
        for item in items {
            let rung = try item.positiveInt()
            if let previous = rungs.last, rung <= previous {
                throw item.error("the rungs must increase: \(rung) comes after \(previous)", fix: "list each epoch once, in increasing order")
            }
            rungs.append(rung)
        }
        guard let keepAt = given["keep"] else {
            throw at.error("pruning needs keep", fix: "add `keep: 0.34` (the share of trials that go on at each rung)")
        }
        let keep = try keepAt.double()
        guard keep > 0, keep < 1 else {
            throw keepAt.error("keep must lie strictly between 0 and 1, found \(formatNumber(keep))",
                               fix: "give the share that goes on at each rung, e.g. 0.34")
        }
        var metric = PruningMetric.bestPRD
        if let metricAt = given["metric"] { metric = PruningMetric(name: try metricAt.choice(PruningMetric.names))! }
        var minTrials = PruningSettings.defaultMinTrials(keep: keep)
        if let minAt = given["min_trials"] {
            let n = try minAt.int()
            guard n >= 1 else {
                throw minAt.error("min_trials must be at least 1 (a number of trials), found \(n)",
                                  fix: "give how many trials must reach a rung before any is pruned there, e.g. \(minTrials) (the default, ⌈1/keep⌉)")
            }
            minTrials = n
        }
        pruning = PruningSection(settings: PruningSettings(rungs: rungs, keep: keep, metric: metric, minTrials: minTrials), rungItems: items)
    }

    /// The checks that need the whole spec: the searched axis is the search's alone, and the
    /// rungs lie between the QG window and the training's end (every trial of a sweep has the
    /// same epochs and QG window: neither is a grid axis).
    func checkSearchAndPruning(base: TrialConfig) throws {
        if let axis = search?.section.searchedAxis {
            if let given = grid[axis.name] {
                throw given.at.error("\(axis.key) is the searched axis (search.axis), whose values the search chooses",
                                     fix: "remove grid.\(axis.key)")
            }
            if let given = sectionValues[axis.name] {
                throw given.at.error("\(axis.name) is the searched axis (search.axis), whose values the search chooses",
                                     fix: "remove it")
            }
        }
        if let pruning {
            let first = pruning.settings.rungs[0]
            if first < base.qg.epochs {
                throw pruning.rungItems[0].error("the first rung (\(first)) is below qg.epochs = \(base.qg.epochs), so a trial pruned there would have no QG",
                                                 fix: "start the rungs at \(base.qg.epochs) or later")
            }
            if let i = pruning.settings.rungs.firstIndex(where: { $0 > base.training.epochs }) {
                throw pruning.rungItems[i].error("rung \(pruning.settings.rungs[i]) is past the \(base.training.epochs) training epochs",
                                                 fix: "keep the rungs at most training.epochs")
            }
        }
    }
}
