import Foundation
import Sweep
import TrialProtocol

/// A second TrialStore backend, in memory, written from the protocol's rules alone: the
/// contract tests run against it and SQLite alike, and `query`, `export`, `report` and
/// `status` are run on it to show they need nothing but the protocol's read side.
final class MemoryTrialStore: TrialStore, @unchecked Sendable {   // guarded by `lock`
    private let lock = NSLock()
    private var sweepRows: [SweepRecord] = []
    private var trialRows: [Int64: TrialRecord] = [:]
    private var epochRows: [Int64: [Int: EpochRecord]] = [:]
    private var histogramRows: [Int64: [Int: HistogramsLine]] = [:]
    private var decisionRows: [RungDecision] = []
    private var nextTrialID: Int64 = 1

    private func locked<T>(_ body: () throws -> T) rethrows -> T { lock.lock(); defer { lock.unlock() }; return try body() }

    func sweep(named name: String) throws -> SweepRecord? { locked { sweepRows.first { $0.name == name } } }
    func sweeps() throws -> [SweepRecord] { locked { sweepRows } }

    func createSweep(name: String, specText: String, specHash: String, codeVersion: String) throws -> SweepRecord {
        locked {
            let s = SweepRecord(id: Int64(sweepRows.count + 1), name: name, specText: specText, specHash: specHash,
                                codeVersion: codeVersion, createdAt: "2026-12-02T00:00:00Z")
            sweepRows.append(s)
            return s
        }
    }

    func updateSpec(sweepID: Int64, specText: String, specHash: String) throws {
        locked { if let i = sweepRows.firstIndex(where: { $0.id == sweepID }) { sweepRows[i].specText = specText; sweepRows[i].specHash = specHash } }
    }

    func updateExecutor(sweepID: Int64, executorJSON: String) throws {
        locked { if let i = sweepRows.firstIndex(where: { $0.id == sweepID }) { sweepRows[i].executorJSON = executorJSON } }
    }

    func updateSearch(sweepID: Int64, searchJSON: String?, pruningJSON: String?) throws {
        locked {
            if let i = sweepRows.firstIndex(where: { $0.id == sweepID }) {
                sweepRows[i].searchJSON = searchJSON; sweepRows[i].pruningJSON = pruningJSON
            }
        }
    }

    func addTrials(sweepID: Int64, _ planned: [PlannedTrial]) throws -> Int {
        locked {
            let mine = trialRows.values.filter { $0.sweepID == sweepID }
            let existing = Set(mine.map(\.configHash))
            var next = (mine.map(\.number).max() ?? -1) + 1
            var added = 0
            for p in planned where !existing.contains(p.configHash) {
                trialRows[nextTrialID] = TrialRecord(id: nextTrialID, sweepID: sweepID, number: next, configHash: p.configHash,
                                                     config: p.config, state: .pending, attempts: 0,
                                                     twoOverM: p.config.training.margin.map { 2 / $0 })
                nextTrialID += 1; next += 1; added += 1
            }
            return added
        }
    }

    func trials(sweepID: Int64) throws -> [TrialRecord] {
        locked { trialRows.values.filter { $0.sweepID == sweepID }.sorted { $0.number < $1.number } }
    }

    func trial(id: Int64) throws -> TrialRecord? { locked { trialRows[id] } }

    func epochs(trialID: Int64) throws -> [EpochRecord] {
        locked { (epochRows[trialID] ?? [:]).values.sorted { $0.epoch < $1.epoch } }
    }

    func epochs(sweepID: Int64) throws -> [Int64: [EpochRecord]] {
        let ids = try trials(sweepID: sweepID).map(\.id)
        return try Dictionary(uniqueKeysWithValues: ids.compactMap { id in
            let e = try epochs(trialID: id)
            return e.isEmpty ? nil : (id, e)
        })
    }

    /// Rule 3 by `TrialState.canMove`, narrowed to `from` when given; then `change`.
    private func move(_ id: Int64, to target: TrialState, from: Set<TrialState> = [], _ change: (inout TrialRecord) -> Void) throws {
        try locked {
            guard var t = trialRows[id] else { throw StoreError.noSuchTrial(id) }
            guard t.state.canMove(to: target), from.isEmpty || from.contains(t.state) else {
                throw StoreError.invalidTransition(trial: id, from: t.state.rawValue, to: target.rawValue)
            }
            change(&t)
            t.state = target
            trialRows[id] = t
        }
    }

    func claim(trialID: Int64, workerPID: Int32?) throws {
        try move(trialID, to: .running, from: [.pending]) {
            $0.attempts += 1; $0.workerPID = workerPID; $0.jobID = nil; $0.error = nil
            $0.startedAt = $0.startedAt ?? "2026-12-02T00:00:00Z"
        }
    }

    func assignWorker(trialID: Int64, pid: Int32?, jobID: String?) throws {
        try move(trialID, to: .running, from: [.running]) { $0.workerPID = pid; $0.jobID = jobID }
    }

    func recordEpoch(trialID: Int64, _ epoch: EpochRecord) throws {
        try move(trialID, to: .running, from: [.running]) { _ in }
        locked { epochRows[trialID, default: [:]][epoch.epoch] = epoch }
    }

    func recordHistograms(trialID: Int64, _ line: HistogramsLine) throws {
        try move(trialID, to: .running, from: [.running]) { _ in }
        locked { histogramRows[trialID, default: [:]][line.epoch] = line }
    }

    func histograms(trialID: Int64) throws -> HistogramsLine? {
        locked { histogramRows[trialID]?.max { $0.key < $1.key }?.value }
    }

    func finish(trialID: Int64, _ outcome: TrialOutcome) throws {
        precondition(outcome.state.isEnding)
        try move(trialID, to: outcome.state, from: [.running]) { Self.end(&$0, outcome) }
    }

    private static func end(_ t: inout TrialRecord, _ outcome: TrialOutcome) {
        let q = outcome.qg
        t.error = outcome.error; t.finishedAt = "2026-12-02T00:00:01Z"; t.workerPID = nil
        t.qg = q?.qg; t.qgSlope = q?.qgSlope; t.l30 = q?.l30; t.twoOverL30 = q?.twoOverL30
        t.lrWithinBound = q?.lrWithinBound; t.twoOverM = q?.twoOverM ?? t.twoOverM
    }

    func recordRungDecision(_ decision: RungDecision, pruned: TrialOutcome?) throws {
        precondition((decision.verdict == .prune) == (pruned != nil))
        // Rule 8's checks first, so a refused decision changes nothing (rule 1).
        let duplicate = locked { decisionRows.contains { $0.trialID == decision.trialID && $0.rung == decision.rung } }
        let state = try trial(id: decision.trialID)?.state
        if let state, state != .running && state != .pending {
            throw StoreError.invalidTransition(trial: decision.trialID, from: state.rawValue, to: pruned == nil ? state.rawValue : "pruned")
        }
        if duplicate { throw StoreError.duplicateDecision(trial: decision.trialID, rung: decision.rung) }
        try move(decision.trialID, to: pruned == nil ? (state ?? .running) : .pruned, from: [.running, .pending]) { t in
            if let pruned { Self.end(&t, pruned) }
        }
        locked {
            var stored = decision
            stored.sequence = Int64(decisionRows.count + 1)
            decisionRows.append(stored)
        }
    }

    func rungDecisions(sweepID: Int64) throws -> [RungDecision] {
        let ids = Set(try trials(sweepID: sweepID).map(\.id))
        return locked { decisionRows.filter { ids.contains($0.trialID) } }
    }

    func release(trialID: Int64, error: String?, countsAsAttempt: Bool) throws {
        try move(trialID, to: .pending, from: [.running]) {
            $0.workerPID = nil; $0.error = error; if !countsAsAttempt { $0.attempts -= 1 }
        }
    }

    func cancel(trialID: Int64) throws {
        try move(trialID, to: .cancelled) { $0.workerPID = nil; $0.finishedAt = "2026-12-02T00:00:01Z" }
    }

    func requeue(trialID: Int64) throws {
        try move(trialID, to: .pending, from: [.failed, .cancelled]) { $0.attempts = 0; $0.finishedAt = nil }
    }
}
