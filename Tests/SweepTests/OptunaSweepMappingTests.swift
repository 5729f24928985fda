import Foundation
import Sweep
import TrialProtocol
import Testing

/// A store holding one sweep of 18 trials (sn and hinge m = 1, 2 at three learning rates and two
/// seeds) in every state: #0 completed with a QG, #1 completed without one, #2 diverged, #3
/// running, #5 cancelled, the others pending. Epochs 1…3 of #0–#3: Physical PRD 0.1·e, RAW PRD 0.25.
func storeInEveryState() throws -> (any TrialStore, SweepRecord) {
    let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("optuna-store-\(UUID().uuidString)")
    let store = try SQLiteTrialStore(path: dir.appendingPathComponent("lipsweep.db").path)
    let spec = try SweepSpec.parse(text: """
        training: {epochs: 3}
        qg: {epochs: 3}
        grid: {regularizer: [sn, hinge], margin: [1, 2], lr: [1e-3, 3e-3, 1e-2]}
        seeds: [1, 2]
        """, file: "t.yaml", baseDirectory: URL(fileURLWithPath: "/"))
    let sweep = try store.createSweep(name: "s", specText: spec.text, specHash: spec.specHash, codeVersion: "test")
    _ = try store.addTrials(sweepID: sweep.id, spec.trials)
    let t = try store.trials(sweepID: sweep.id).sorted { $0.number < $1.number }
    for trial in t.prefix(4) {
        try store.claim(trialID: trial.id, workerPID: nil)
        for e in 1...3 { try store.recordEpoch(trialID: trial.id, EpochRecord(epoch: e, dLoss: 1.0 / Double(e), rawPRD: 0.25, physPRD: 0.1 * Double(e))) }
    }
    let qg = TrialQualityGain.compute(epochs: try store.epochs(trialID: t[0].id), window: 3, metric: .physPRD, lr: t[0].lr, margin: t[0].margin)
    try store.finish(trialID: t[0].id, TrialOutcome(state: .completed, qg: qg))
    try store.finish(trialID: t[1].id, TrialOutcome(state: .completed, error: "no QG: epoch 2 not evaluated", qg: TrialQualityGain()))
    try store.finish(trialID: t[2].id, TrialOutcome(state: .diverged, error: "non-finite D loss"))
    try store.cancel(trialID: t[5].id)
    return (store, sweep)
}

@Suite struct OptunaSweepMappingTests {
    /// A trial stopped by successive halving is PRUNED for Optuna, with its curve so far.
    @Test func aPrunedTrialIsPruned() throws {
        let (store, sweep) = try storeInEveryState()
        let trial = try store.trials(sweepID: sweep.id).sorted { $0.number < $1.number }[6]
        try store.claim(trialID: trial.id, workerPID: nil)
        for e in 1...3 { try store.recordEpoch(trialID: trial.id, EpochRecord(epoch: e, rawPRD: 0.25, physPRD: 0.1 * Double(e))) }
        try store.recordRungDecision(RungDecision(trialID: trial.id, rung: 3, metric: "best_prd", value: 0.25, reached: 3, kept: 1, verdict: .prune),
                                     pruned: TrialOutcome(state: .pruned))
        let pruned = try #require(try store.trial(id: trial.id))
        let mapping = OptunaSweepMapping(sweepName: "s", objective: .qg, trials: try store.trials(sweepID: sweep.id))
        let d = mapping.describe(pruned, epochs: try store.epochs(trialID: trial.id))
        #expect(d.state == .pruned && d.userAttrs["lipsweep_state"] == "pruned" && d.intermediateValues.count == 3)
    }

    @Test func statesValuesCurvesAndAttributes() throws {
        let (store, sweep) = try storeInEveryState()
        let trials = try store.trials(sweepID: sweep.id).sorted { $0.number < $1.number }
        let mapping = OptunaSweepMapping(sweepName: "s", objective: .qg, trials: trials)
        let d = try trials.map { mapping.describe($0, epochs: try store.epochs(trialID: $0.id)) }
        #expect(mapping.study == OptunaStudyDescription(name: "s", direction: .maximize, metricName: "qg", userAttrs: ["lipsweep_objective": "qg"]))
        #expect(d.map(\.state) == [.complete, .fail, .fail, .running, .waiting, .fail] + Array(repeating: .waiting, count: 12))
        #expect(d.map(\.key) == Array(0..<18))
        // QG of PRD_e = 0.1·e over 3 epochs: (0.3 − 0.1)/3.
        #expect(abs(d[0].value! - 0.2 / 3) < 1e-15 && d[0].value == trials[0].qg)
        #expect(d[1].value == nil && d[1].userAttrs["state_reason"] == "no QG: epoch 2 not evaluated")
        #expect(d[2].userAttrs["state_reason"] == "non-finite D loss" && d[2].userAttrs["lipsweep_state"] == "diverged")
        #expect(d[5].userAttrs["lipsweep_state"] == "cancelled")
        #expect(d[0].intermediateValues == [1: 0.1, 2: 0.2, 3: 0.1 * 3])
        #expect(d[4].intermediateValues.isEmpty)
        #expect(d[0].userAttrs["attempts"] == 1 && d[0].userAttrs["config_hash"] == .string(trials[0].configHash))
        #expect(d[0].userAttrs["l_30"] == nil, "no Lipschitz bound was stored")
        #expect(d[0].started != nil && d[0].completed != nil && d[4].started == nil)

        // Params: the axes the grid varies (not loss, nor hinge's α = 1 for every trial); sn has no
        // margin; the ranges are the grid's.
        let sn = d[trials.firstIndex { $0.regularizer == .sn }!].params
        let hinge = d[trials.firstIndex { $0.regularizer == .hinge }!].params
        #expect(sn.map(\.name) == ["regularizer", "lr", "seed"])
        #expect(hinge.map(\.name) == ["regularizer", "lr", "margin", "seed"])
        #expect(hinge[0].distribution == .categorical(["sn", "hinge"]) && hinge[0].value == .choice("hinge"))
        #expect(hinge[1].distribution == .float(low: 1e-3, high: 1e-2, log: true))
        #expect(hinge[2].distribution == .float(low: 1, high: 2, log: false) && hinge[2].value == .float(1))
        #expect(hinge[3].distribution == .int(low: 1, high: 2) && hinge[3].value == .int(1))
    }

    @Test func bestPRDAndDistanceObjectives() throws {
        let (store, sweep) = try storeInEveryState()
        let trials = try store.trials(sweepID: sweep.id).sorted { $0.number < $1.number }
        let epochs = try store.epochs(trialID: trials[1].id)
        // best_prd: max_e min(RAW 0.25, Physical 0.1·e) = 0.25, so #1 completes with it.
        let best = OptunaSweepMapping(sweepName: "s", objective: .bestPRD, trials: trials).describe(trials[1], epochs: epochs)
        #expect(best.state == .complete && best.value == 0.25)
        #expect(best.intermediateValues == [1: 0.1, 2: 0.2, 3: 0.25])
        #expect(OptunaObjective.named("best_prd")?.direction == .maximize && OptunaObjective.named("nope") == nil)
        // A distance is minimised over the epochs (d_loss = 1/e stands in for one here).
        let distance = OptunaObjective.distance("d_loss") { $0[.dLoss] }
        let mapping = OptunaSweepMapping(sweepName: "s", objective: distance, trials: trials)
        #expect(mapping.study.direction == .minimize && mapping.study.metricName == "d_loss")
        #expect(mapping.describe(trials[1], epochs: epochs).value == 1.0 / 3)
    }
}
