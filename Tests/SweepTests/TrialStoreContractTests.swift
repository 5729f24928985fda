import Foundation
import GRDB
import Sweep
import Testing
import TrialProtocol

/// The rules of `TrialStore` (see its documentation), written once; every backend is listed
/// in `backends` and must pass all of them.
enum Backend: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite, memory
    var description: String { rawValue }

    func make() throws -> any TrialStore {
        switch self {
        case .sqlite:
            let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("store-\(UUID().uuidString)")
            return try SQLiteTrialStore(path: dir.appendingPathComponent("lipsweep.db").path)
        case .memory:
            return MemoryTrialStore()
        }
    }
}

private func plannedTrials(_ yaml: String = "grid: {regularizer: [sn, hinge], margin: [2], lr: [1e-3, 3e-3]}") throws -> [PlannedTrial] {
    try SweepSpec.parse(text: yaml, file: "t.yaml", baseDirectory: URL(fileURLWithPath: "/")).trials
}

private func seeded(_ store: any TrialStore) throws -> (SweepRecord, [TrialRecord]) {
    let sweep = try store.createSweep(name: "s", specText: "x", specHash: "h", codeVersion: "test")
    try store.addTrials(sweepID: sweep.id, try plannedTrials())
    return (sweep, try store.trials(sweepID: sweep.id))
}

@Suite struct TrialStoreContractTests {
    @Test(arguments: Backend.allCases) func addTrialsIsIdempotentAndNumbersNewOnesAfter(_ backend: Backend) throws {
        let store = try backend.make()
        let (sweep, trials) = try seeded(store)
        #expect(trials.map(\.number) == [0, 1, 2, 3])
        #expect(trials.allSatisfy { $0.state == .pending && $0.attempts == 0 })
        #expect(try store.addTrials(sweepID: sweep.id, try plannedTrials()) == 0)
        let more = try plannedTrials("grid: {regularizer: [sn, hinge], margin: [2], lr: [1e-3, 3e-3, 1e-2]}")
        #expect(try store.addTrials(sweepID: sweep.id, more) == 2)
        let after = try store.trials(sweepID: sweep.id)
        #expect(after.map(\.number) == [0, 1, 2, 3, 4, 5])
        #expect(Array(after.prefix(4)) == trials)
        #expect(after[4].lr == 1e-2)
        #expect(after.first { $0.regularizer == .hinge }?.twoOverM == 1.0)
        #expect(after[0].config == more.first { $0.configHash == after[0].configHash }?.config)
    }

    @Test(arguments: Backend.allCases) func stateMachine(_ backend: Backend) throws {
        let store = try backend.make()
        let (_, trials) = try seeded(store)
        let id = trials[0].id
        #expect(throws: StoreError.invalidTransition(trial: id, from: "pending", to: "completed")) {
            try store.finish(trialID: id, TrialOutcome(state: .completed))
        }
        #expect(throws: StoreError.self) { try store.recordEpoch(trialID: id, EpochRecord(epoch: 1)) }
        try store.claim(trialID: id, workerPID: 42)
        #expect(try store.trial(id: id)?.state == .running)
        #expect(try store.trial(id: id)?.workerPID == 42)
        #expect(throws: StoreError.self) { try store.claim(trialID: id, workerPID: 43) }
        try store.release(trialID: id, error: "worker died", countsAsAttempt: true)
        #expect(try store.trial(id: id)?.attempts == 1)
        try store.claim(trialID: id, workerPID: nil)
        try store.release(trialID: id, error: nil, countsAsAttempt: false)
        #expect(try store.trial(id: id)?.attempts == 1)
        try store.claim(trialID: id, workerPID: nil)
        let q = TrialQualityGain(qg: 0.01, qgSlope: 0.02, l30: 1.1, twoOverL30: 2 / 1.1, lrWithinBound: true)
        try store.finish(trialID: id, TrialOutcome(state: .completed, qg: q))
        let done = try #require(try store.trial(id: id))
        #expect(done.state == .completed && done.qg == 0.01 && done.qgSlope == 0.02 && done.l30 == 1.1 && done.lrWithinBound == true)
        #expect(done.attempts == 2 && done.finishedAt != nil && done.workerPID == nil)
        #expect(throws: StoreError.self) { try store.release(trialID: id, error: nil, countsAsAttempt: false) }
        #expect(throws: StoreError.self) { try store.cancel(trialID: id) }
        #expect(throws: StoreError.self) { try store.requeue(trialID: id) }
        // failed → pending by requeue; pending → cancelled → pending
        let other = trials[1].id
        try store.claim(trialID: other, workerPID: nil)
        try store.finish(trialID: other, TrialOutcome(state: .failed, error: "boom"))
        try store.requeue(trialID: other)
        try store.cancel(trialID: other)
        #expect(try store.trial(id: other)?.state == .cancelled)
        try store.requeue(trialID: other)
        #expect(try store.trial(id: other)?.state == .pending)
        #expect(throws: StoreError.noSuchTrial(9999)) { try store.claim(trialID: 9999, workerPID: nil) }
    }

    @Test(arguments: Backend.allCases) func histogramsAreAnUpsertWhileRunningAndTheLastEpochIsRead(_ backend: Backend) throws {
        let store = try backend.make()
        let (_, trials) = try seeded(store)
        let id = trials[1].id
        func line(_ epoch: Int, _ count: Int) -> HistogramsLine {
            let f = HistogramsLine.Feature(edges: [0, 0.5, 1], real: [count, 1], generated: [1, count])
            return HistogramsLine(epoch: epoch, realEvents: count + 1, generatedEvents: count + 1, asymAlong: f, asymAcross: f,
                                  widthAlong: f, widthAcross: f, sparsity: .init(alpha: [1e-5, 1], real: [0.5, 0.1], generated: [0.4, 0.2]))
        }
        #expect(throws: StoreError.self) { try store.recordHistograms(trialID: id, line(3, 2)) }
        #expect(try store.histograms(trialID: id) == nil)
        try store.claim(trialID: id, workerPID: nil)
        try store.recordHistograms(trialID: id, line(3, 2))
        try store.recordHistograms(trialID: id, line(3, 5))       // a resumed worker sends it again
        #expect(try store.histograms(trialID: id) == line(3, 5))
        try store.recordHistograms(trialID: id, line(2, 7))
        #expect(try store.histograms(trialID: id) == line(3, 5), "the last epoch's")
        #expect(HistogramsLine.parse(line(3, 5).json) == line(3, 5))
    }

    @Test(arguments: Backend.allCases) func epochUpsertIsIdempotent(_ backend: Backend) throws {
        let store = try backend.make()
        let (_, trials) = try seeded(store)
        let id = trials[2].id
        try store.claim(trialID: id, workerPID: nil)
        let e1 = EpochRecord(epoch: 1, dLoss: 0.4, gLoss: 0.9, regLoss: 0, rawPRD: 0.5, physPRD: 0.01, lipschitzBound: 1.1,
                             lipschitzEmpirical: 0.6, k: [1, 1.5, 0.1 + 0.2], kProduct: 3, trainSeconds: 4, evalSeconds: 1)
        var e2 = e1; e2.epoch = 2; e2.physPRD = nil; e2.evalSeconds = nil
        try store.recordEpoch(trialID: id, e1)
        try store.recordEpoch(trialID: id, e2)
        try store.recordEpoch(trialID: id, e1)      // a replayed line
        #expect(try store.epochs(trialID: id) == [e1, e2])
        var corrected = e2; corrected.physPRD = 0.02
        try store.recordEpoch(trialID: id, corrected)
        #expect(try store.epochs(trialID: id) == [e1, corrected])
        #expect(try store.epochs(trialID: trials[0].id).isEmpty)
    }

    @Test(arguments: Backend.allCases) func jobIDsBelongToTheCurrentAttempt(_ backend: Backend) throws {
        let store = try backend.make()
        let (sweep, trials) = try seeded(store)
        let id = trials[0].id
        #expect(throws: StoreError.invalidTransition(trial: id, from: "pending", to: "running")) {
            try store.assignWorker(trialID: id, pid: nil, jobID: "12_0")
        }
        try store.claim(trialID: id, workerPID: nil)
        try store.assignWorker(trialID: id, pid: nil, jobID: "12_0")
        #expect(try store.trial(id: id)?.jobID == "12_0")
        try store.release(trialID: id, error: "TIMEOUT", countsAsAttempt: true)
        try store.claim(trialID: id, workerPID: nil)
        #expect(try store.trial(id: id)?.jobID == nil)
        #expect(try store.trial(id: id)?.attempts == 2)
        try store.updateExecutor(sweepID: sweep.id, executorJSON: "{}")
        #expect(try store.sweep(named: "s")?.executorJSON == "{}")
    }

    @Test(arguments: Backend.allCases) func rungDecisionsAreRecordedOnceAndAPruneEndsTheTrial(_ backend: Backend) throws {
        let store = try backend.make()
        let (sweep, trials) = try seeded(store)
        let (a, b, c) = (trials[0].id, trials[1].id, trials[2].id)
        func decision(_ id: Int64, _ verdict: RungDecision.Verdict, value: Double? = 0.5) -> RungDecision {
            RungDecision(trialID: id, rung: 3, metric: "best_prd", value: value, reached: 1, kept: 1, verdict: verdict)
        }
        // While running, or pending (waiting at the rung): a continue leaves a waiting trial pending.
        let w = trials[3].id
        try store.recordRungDecision(RungDecision(trialID: w, rung: 6, metric: "best_prd", value: 0.5, reached: 2, kept: 1, verdict: .continue),
                                     pruned: nil)
        #expect(try store.trial(id: w)?.state == .pending)
        for id in [a, b, c] { try store.claim(trialID: id, workerPID: nil) }
        try store.recordEpoch(trialID: b, EpochRecord(epoch: 3, physPRD: 0.2))
        try store.recordRungDecision(decision(a, .continue), pruned: nil)
        #expect(try store.trial(id: a)?.state == .running)
        #expect(throws: StoreError.duplicateDecision(trial: a, rung: 3)) { try store.recordRungDecision(decision(a, .continue), pruned: nil) }
        let q = TrialQualityGain(qg: 0.01, qgSlope: 0.02, l30: 1.1, twoOverL30: 2 / 1.1, lrWithinBound: true)
        try store.recordRungDecision(decision(b, .prune, value: nil), pruned: TrialOutcome(state: .pruned, qg: q))
        let pruned = try #require(try store.trial(id: b))
        #expect(pruned.state == .pruned && pruned.qg == 0.01 && pruned.l30 == 1.1 && pruned.error == nil && pruned.finishedAt != nil)
        #expect(try store.epochs(trialID: b).map(\.epoch) == [3])
        // A pruned trial is never resumed, requeued, cancelled or given more epochs.
        #expect(throws: StoreError.self) { try store.release(trialID: b, error: nil, countsAsAttempt: false) }
        #expect(throws: StoreError.self) { try store.requeue(trialID: b) }
        #expect(throws: StoreError.self) { try store.cancel(trialID: b) }
        #expect(throws: StoreError.self) { try store.claim(trialID: b, workerPID: nil) }
        #expect(throws: StoreError.self) { try store.recordEpoch(trialID: b, EpochRecord(epoch: 4)) }
        #expect(throws: StoreError.self) { try store.recordRungDecision(decision(b, .continue), pruned: nil) }
        try store.recordRungDecision(decision(c, .continue, value: 0.7), pruned: nil)
        // A waiting (pending) trial can be pruned; a completed one cannot be decided.
        let q2 = TrialQualityGain(qg: 0.02, qgSlope: 0.03, l30: 1.1, twoOverL30: 2 / 1.1, lrWithinBound: true)
        try store.recordRungDecision(RungDecision(trialID: w, rung: 9, metric: "best_prd", value: 0.1, reached: 2, kept: 1, verdict: .prune),
                                     pruned: TrialOutcome(state: .pruned, qg: q2))
        #expect(try store.trial(id: w)?.state == .pruned)
        try store.finish(trialID: c, TrialOutcome(state: .completed, qg: q))
        #expect(throws: StoreError.self) { try store.recordRungDecision(RungDecision(trialID: c, rung: 6, metric: "best_prd", value: 0.7, reached: 1, kept: 1, verdict: .continue), pruned: nil) }
        let stored = try store.rungDecisions(sweepID: sweep.id).filter { $0.trialID != w }
        #expect(stored.map(\.trialID) == [a, b, c] && stored.map(\.verdict) == [.continue, .prune, .continue])
        #expect(stored.map(\.value) == [0.5, nil, 0.7] && stored.allSatisfy { $0.metric == "best_prd" && $0.rung == 3 })
        #expect(stored[0].sequence < stored[1].sequence && stored[1].sequence < stored[2].sequence)
        #expect(TrialState.pruned.isFinished && TrialState.pruned.isTerminal && !TrialState.pruned.isEnding)
    }

    @Test(arguments: Backend.allCases) func searchSettingsAreStoredWithTheSweep(_ backend: Backend) throws {
        let store = try backend.make()
        let (sweep, _) = try seeded(store)
        #expect(try store.sweep(named: "s")?.searchJSON == nil)
        try store.updateSearch(sweepID: sweep.id, searchJSON: "{\"a\":1}", pruningJSON: "{\"b\":2}")
        let back = try #require(try store.sweep(named: "s"))
        #expect(back.searchJSON == "{\"a\":1}" && back.pruningJSON == "{\"b\":2}")
        try store.updateSearch(sweepID: sweep.id, searchJSON: nil, pruningJSON: nil)
        #expect(try store.sweep(named: "s")?.pruningJSON == nil)
    }

    @Test(arguments: Backend.allCases) func sweepsAreFoundByName(_ backend: Backend) throws {
        let store = try backend.make()
        #expect(try store.sweep(named: "s") == nil)
        let (sweep, _) = try seeded(store)
        #expect(try store.sweep(named: "s") == sweep)
        try store.updateSpec(sweepID: sweep.id, specText: "y", specHash: "h2")
        #expect(try store.sweep(named: "s")?.specHash == "h2")
        #expect(try store.sweeps().count == 1)
    }
}

@Suite struct SQLiteStoreTests {
    @Test func walModeAndSchemaVersion() throws {
        let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("store-\(UUID().uuidString)")
        let path = dir.appendingPathComponent("lipsweep.db").path
        let store = try SQLiteTrialStore(path: path)
        let (mode, version) = try store.read { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode")!, try Int.fetchOne(db, sql: "SELECT version FROM schema_version")!)
        }
        #expect(mode == "wal")
        #expect(version == 6)
        // Reopening migrates nothing twice.
        _ = try SQLiteTrialStore(path: path)
    }
}

@Suite struct QualityGainTests {
    @Test func eq11AndSlopeAndBound() {
        let prd = [0.1, 0.3, 0.2, 0.6]
        let epochs = prd.enumerated().map { EpochRecord(epoch: $0 + 1, physPRD: $1, lipschitzBound: 1.5 + Double($0)) }
        let q = TrialQualityGain.compute(epochs: epochs, window: 4, metric: .physPRD, lr: 0.5, margin: 4)
        // (1/4)·[(0.3−0.1) + (0.2−0.3) + (0.6−0.2)] = 0.125
        #expect(abs(q.qg! - 0.125) < 1e-15)
        // slope over x = 1..4: Σ(x−2.5)(y−0.3)/Σ(x−2.5)² = (−1.5·−0.2 −0.5·0 + 0.5·−0.1 + 1.5·0.3)/5 = 0.14
        #expect(abs(q.qgSlope! - 0.14) < 1e-12)
        #expect(q.l30 == 4.5 && q.twoOverL30 == 2 / 4.5 && q.lrWithinBound == false && q.twoOverM == 0.5)
        let short = TrialQualityGain.compute(epochs: Array(epochs.prefix(2)), window: 4, metric: .physPRD, lr: 0.5, margin: nil)
        #expect(short.qg == nil && short.reason?.contains("2 of the 4") == true && short.twoOverM == nil)
        let raw = TrialQualityGain.compute(epochs: epochs, window: 4, metric: .rawPRD, lr: 0.5, margin: nil)
        #expect(raw.qg == nil && raw.reason?.contains("only 0 of the 4 epochs") == true)
    }
}
