import Foundation
import Sweep
import Testing
import TrialProtocol

private func parse(_ yaml: String) throws -> SweepSpec {
    try SweepSpec.parse(text: yaml, file: "t.yaml", baseDirectory: URL(fileURLWithPath: NSTemporaryDirectory()))
}

/// `pruning.min_trials` and the pools of RungPools (issue 22, item 6).
@Suite struct PruningArrivalTests {
    static func trial(_ id: Int64) -> TrialRecord {
        TrialRecord(id: id, sweepID: 1, number: Int(id), configHash: "\(id)", config: TrialConfig(), state: .running, attempts: 1)
    }

    /// One rung, `n` trials arriving one after another with i.i.d. uniform values (as one worker
    /// runs them), decided as the ledger decides: on arrival once `minTrials` have arrived
    /// (with those that waited), and those still waiting at the end. Returns, per arrival
    /// position, how often the trial went on, over `sweeps` simulated sweeps.
    static func continueRate(n: Int, keep: Double, minTrials: Int, sweeps: Int) -> [Double] {
        let pruner = SuccessiveHalving(settings: PruningSettings(rungs: [3], keep: keep, metric: .epoch(.physPRD), minTrials: minTrials))
        var generator = SplitMix(seed: 2026)
        var wentOn = [Int](repeating: 0, count: n)
        for _ in 0..<sweeps {
            var pools = RungPools(pruner: pruner)
            func decide(_ ids: [Int64]) {
                for id in ids {
                    let d = pools.decision(for: trial(id), at: 3)
                    pools.record(d)
                    if d.verdict == .continue { wentOn[Int(id)] += 1 }
                }
            }
            for position in 0..<n { decide(pools.arrive(Int64(position), rung: 3, value: generator.uniform())) }
            decide(pools.due(at: 3, othersMayArrive: false))
            #expect(pools.waiting(at: 3).isEmpty)
        }
        return wentOn.map { Double($0) / Double(sweeps) }
    }

    /// With i.i.d. metrics, the chance that a trial goes on depends on its arrival position only
    /// through the rule: ⌊keep·m⌋/m with m = max(position, min_trials) the trials it is ranked
    /// among. The first arrivals are ranked among min_trials trials, not let through.
    @Test func theFirstArrivalsAreNotLetThrough() {
        let sweeps = 20_000
        let rates = Self.continueRate(n: 8, keep: 0.5, minTrials: 2, sweeps: sweeps)
        for (i, rate) in rates.enumerated() {
            let m = max(i + 1, 2)
            let expected = Double(Int(0.5 * Double(m) + 1e-9)) / Double(m)
            // 4 binomial standard errors of the estimate.
            #expect(abs(rate - expected) < 4 * (expected * (1 - expected) / Double(sweeps)).squareRoot() + 1e-9,
                    "position \(i + 1): \(rate) vs \(expected)")
        }
        #expect(abs(rates[0] - 0.5) < 0.02)
        // Decided on arrival (min_trials 1, as before): the first arrival always goes on.
        let onArrival = Self.continueRate(n: 8, keep: 0.5, minTrials: 1, sweeps: 2_000)
        #expect(onArrival[0] == 1.0)
    }

    @Test func aTrialWaitsUntilMinTrialsHaveReachedTheRungAndAtTheEndIsDecidedWithThoseThatDid() {
        let pruner = SuccessiveHalving(settings: PruningSettings(rungs: [3, 6], keep: 0.34, metric: .epoch(.physPRD), minTrials: 3))
        var pools = RungPools(pruner: pruner)
        #expect(pools.arrive(1, rung: 3, value: 0.9).isEmpty && pools.arrive(2, rung: 3, value: 0.1).isEmpty)
        #expect(pools.isWaiting(1) && pools.isWaiting(2))
        #expect(pools.due(at: 3, othersMayArrive: true).isEmpty)
        // The third arrival completes the pool: all three are decided against it (k = ⌊0.34·3⌋ = 1).
        let now = pools.arrive(3, rung: 3, value: 0.5)
        #expect(now == [1, 2, 3])
        let verdicts = now.map { id -> RungDecision.Verdict in
            let d = pools.decision(for: Self.trial(id), at: 3)
            #expect(d.reached == 3 && d.kept == 1)
            pools.record(d)
            return d.verdict
        }
        #expect(verdicts == [.continue, .prune, .prune])
        #expect(!pools.isWaiting(1) && pools.arrive(1, rung: 3, value: 0.9).isEmpty)
        // At rung 6 only trial 1 arrives: it waits while others may come, and is decided alone at the end.
        #expect(pools.arrive(1, rung: 6, value: 0.95).isEmpty)
        #expect(pools.due(at: 6, othersMayArrive: true).isEmpty && pools.due(at: 6, othersMayArrive: false) == [1])
        #expect(pools.decision(for: Self.trial(1), at: 6).verdict == .continue)
    }

    @Test func minTrialsDefaultsToTheHalvingFactorAndStoredSettingsWithoutItDecideOnArrival() throws {
        #expect(PruningSettings.defaultMinTrials(keep: 0.5) == 2)
        #expect(PruningSettings.defaultMinTrials(keep: 0.34) == 3)
        #expect(PruningSettings.defaultMinTrials(keep: 1.0 / 3) == 3)
        #expect(PruningSettings.defaultMinTrials(keep: 0.25) == 4)
        #expect(PruningSettings.defaultMinTrials(keep: 0.3) == 4)
        let spec = try parse("training: {epochs: 9}\nqg: {epochs: 3}\npruning: {rungs: [3, 6], keep: 0.34}\n")
        #expect(spec.pruning?.minTrials == 3)
        let given = try parse("training: {epochs: 9}\nqg: {epochs: 3}\npruning: {rungs: [3, 6], keep: 0.34, min_trials: 5}\n")
        #expect(given.pruning?.minTrials == 5)
        let old = try JSONDecoder().decode(PruningSettings.self, from: Data(#"{"keep":0.5,"metric":"best_prd","rungs":[3,6]}"#.utf8))
        #expect(old.minTrials == 1)
    }
}

/// A small deterministic generator for the simulations (SplitMix64).
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
