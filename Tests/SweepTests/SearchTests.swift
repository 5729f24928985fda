import Foundation
import Sweep
import Testing
import TrialProtocol

/// sn and hinge m ∈ {0.5, 4, 16} searched on lr over [1e-4, 1] (5 initial points, resolution 1.5).
private let boundarySpec = """
    training: {epochs: 30}
    grid:
      regularizer: [sn, hinge]
      margin: [0.5, 4, 16]
    search: {kind: boundary, axis: lr, range: [1e-4, 1.0], initial: 5, resolution: 1.5, threshold: 0}
    """

/// The scripted answer: the lr where QG turns, T = 1/L with L = 1.1 (sn) or 1.1·m (hinge).
private func turn(_ config: TrialConfig) -> Double { 1 / (1.1 * (config.training.margin ?? 1)) }

/// Runs a boundary search to its end on the in-memory store: after every finished trial the
/// search is asked for trials to add, and the next pending trial (chosen by `pick`, so the
/// order in which trials finish varies) ends with `outcome` (nil: diverged, no QG).
private func runSearch(_ search: BoundarySearch, seed: UInt64 = 0, pick: ([TrialRecord]) -> TrialRecord,
                       outcome: (TrialConfig) -> Double?, fail: (TrialConfig) -> Bool = { _ in false }) throws -> [TrialRecord] {
    let store = MemoryTrialStore()
    let sweep = try store.createSweep(name: "b", specText: "", specHash: "", codeVersion: "test")
    while true {
        for addition in search.additions(stored: try store.trials(sweepID: sweep.id)) {
            try store.addTrials(sweepID: sweep.id, addition.trials)
        }
        let pending = try store.trials(sweepID: sweep.id).filter { $0.state == .pending }
        guard !pending.isEmpty else { return try store.trials(sweepID: sweep.id) }
        let trial = pick(pending)
        try store.claim(trialID: trial.id, workerPID: nil)
        if fail(trial.config) {
            try store.finish(trialID: trial.id, TrialOutcome(state: .failed, error: "boom"))
        } else if let qg = outcome(trial.config) {
            try store.finish(trialID: trial.id, TrialOutcome(state: .completed, qg: TrialQualityGain(qg: qg, l30: 1)))
        } else {
            try store.finish(trialID: trial.id, TrialOutcome(state: .diverged))
        }
    }
}

/// A deterministic shuffle of which pending trial finishes next.
private struct Picker {
    var state: UInt64
    mutating func pick(_ trials: [TrialRecord]) -> TrialRecord {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return trials[Int(state >> 33) % trials.count]
    }
}

@Suite struct BoundarySearchTests {
    @Test func bracketsEveryTurnWithinTheResolutionWhateverTheOrderTrialsFinish() throws {
        let search = try #require(try parse(boundarySpec).search.boundary)
        #expect(search.combinations.count == 4 && search.seeds == [1])
        #expect(search.initialPoints == [1e-4, 1e-3, 1e-2, 1e-1, 1])
        #expect(search.maxBisections == 3 && search.maxTrials == 32)
        // Neighbours within a factor 1.5 over four decades: ⌈ln 1e4 / ln 1.5⌉ + 1 = 24 points.
        #expect(search.gridPointsOfSameResolution == 24)

        let qg = { (c: TrialConfig) in log(turn(c) / c.training.lr) }
        var picker = Picker(state: 7)
        let runs = [try runSearch(search, pick: { $0[0] }, outcome: qg),
                    try runSearch(search, pick: { $0[$0.count - 1] }, outcome: qg),
                    try runSearch(search, pick: { picker.pick($0) }, outcome: qg)]
        // The same points whatever the order: choices come from finished results alone.
        let hashes = runs.map { Set($0.map(\.configHash)) }
        #expect(hashes[1] == hashes[0] && hashes[2] == hashes[0])

        let progress = search.progress(runs[0])
        #expect(progress.map(\.label) == ["sn", "hinge m=0.5 α=1", "hinge m=4 α=1", "hinge m=16 α=1"])
        for c in progress {
            let t = turn(c.template)
            if t > 1 {
                // m = 0.5: T = 1.8 lies above the range, every point converges.
                #expect(c.outcome == .convergesEverywhere && c.bracket == nil && c.points.count == 5, "\(c.label)")
            } else {
                let bracket = try #require(c.bracket, "\(c.label)")
                #expect(c.outcome == .bracketed, "\(c.label)")
                #expect(bracket.lo < t && t < bracket.hi, "\(c.label): \(bracket) should hold \(t)")
                #expect(bracket.hi / bracket.lo <= 1.5 * (1 + 1e-9), "\(c.label)")
                #expect(c.points.count == 8, "\(c.label)")
            }
        }
        // 8 + 5 + 8 + 8 trials against 4 × 24 for a grid of the same resolution.
        #expect(runs[0].count == 29)
        #expect(Double(runs[0].count) <= 0.4 * Double(search.gridPointsOfSameResolution * search.combinations.count))
        #expect(runs[0].allSatisfy { search.covers($0) })
    }

    @Test func meanQGOverSeedsDecidesAndADivergedTrialDoesNotConverge() throws {
        let search = try #require(try parse("""
            training: {epochs: 30}
            seeds: [1, 2]
            search: {kind: boundary, range: [1e-3, 1.0], initial: 4, resolution: 1.2}
            """).search.boundary)
        // Seed 1 turns at 0.1, seed 2 at 0.3: the mean of ln(T_s/lr) crosses 0 at √0.03 ≈ 0.173.
        let bySeed = { (c: TrialConfig) in log((c.training.seed == 1 ? 0.1 : 0.3) / c.training.lr) }
        let trials = try runSearch(search, pick: { $0[0] }, outcome: bySeed)
        let c = try #require(search.progress(trials).first)
        let bracket = try #require(c.bracket)
        #expect(bracket.lo < 0.03.squareRoot() && 0.03.squareRoot() < bracket.hi && bracket.hi / bracket.lo <= 1.2 * (1 + 1e-9))
        #expect(c.points.allSatisfy { $0.trials.map(\.seed) == [1, 2] })

        // QG positive everywhere, but trials above lr 0.05 diverge: the turn is the divergence.
        let diverging = try runSearch(search, pick: { $0[0] }, outcome: { $0.training.lr > 0.05 ? nil : 1 })
        let d = try #require(search.progress(diverging).first?.bracket)
        #expect(d.lo <= 0.05 && 0.05 < d.hi)
        // Nothing converges: no crossing, and the search stops at the initial points.
        let never = try runSearch(search, pick: { $0[0] }, outcome: { _ in -1 })
        #expect(search.progress(never).first?.outcome == .convergesNowhere && never.count == 8)
    }

    @Test func aFailedTrialHoldsItsCombinationOnlyAndTheSpecMustCoverStoredTrials() throws {
        let search = try #require(try parse(boundarySpec).search.boundary)
        let qg = { (c: TrialConfig) in log(turn(c) / c.training.lr) }
        let trials = try runSearch(search, pick: { $0[0] }, outcome: qg, fail: { $0.training.margin == 4 && $0.training.lr == 0.01 })
        let progress = search.progress(trials)
        #expect(progress[2].outcome == .blocked && progress[2].points.count == 5)
        #expect(progress[0].outcome == .bracketed && progress[3].outcome == .bracketed)

        let narrower = try #require(try parse(boundarySpec.replacingOccurrences(of: "[1e-4, 1.0]", with: "[1e-3, 1.0]")).search.boundary)
        #expect(!trials.allSatisfy { narrower.covers($0) })
        let otherMargins = try #require(try parse(boundarySpec.replacingOccurrences(of: "[0.5, 4, 16]", with: "[4, 16]")).search.boundary)
        #expect(trials.filter { otherMargins.covers($0) }.count == trials.count - 5)
    }

    @Test func initialTrialsArePlannedPerCombinationPointAndSeed() throws {
        let spec = try parse(boundarySpec + "\nseeds: [1, 2]\n")
        #expect(spec.trials.count == 4 * 5 * 2)
        #expect(spec.trials.map(\.number) == Array(0..<40))
        #expect(spec.trials.prefix(2).map(\.config.training.seed) == [1, 2])
        #expect(Set(spec.trials.map(\.config.training.lr)) == [1e-4, 1e-3, 1e-2, 1e-1, 1])
        #expect(spec.varyingAxes.contains("lr"))
    }
}

@Suite struct SuccessiveHalvingTests {
    /// Decisions of a sequence of arrivals at one rung, each given the earlier ones.
    func decisions(_ values: [Double?], keep: Double, metric: PruningMetric = .epoch(.physPRD)) -> [RungDecision.Verdict] {
        let halving = SuccessiveHalving(settings: PruningSettings(rungs: [3], keep: keep, metric: metric))
        var earlier: [RungDecision] = []
        for (i, v) in values.enumerated() {
            let trial = TrialRecord(id: Int64(i + 1), sweepID: 1, number: i, configHash: "\(i)", config: TrialConfig(), state: .running, attempts: 1)
            let epochs = (1...3).map { EpochRecord(epoch: $0, physPRD: $0 == 2 ? v : nil) }
            earlier.append(halving.decide(trial: trial, value: halving.value(epochs, rung: 3), rung: 3, others: earlier.map(\.value)))
        }
        return earlier.map(\.verdict)
    }

    @Test func aTrialGoesOnWhenAmongTheBestKeepShareOfThoseThatReachedTheRung() {
        // n = 1..6 arrivals, k = max(1, ⌊0.5·n⌋) = 1, 1, 1, 2, 2, 3.
        #expect(decisions([0.3, 0.1, 0.4, 0.2, 0.6, 0.5], keep: 0.5) == [.continue, .prune, .continue, .prune, .continue, .continue])
        // Ties go on; a trial without a value ranks last.
        #expect(decisions([0.3, 0.3, nil], keep: 0.5) == [.continue, .continue, .prune])
        // keep·n in floating point: 0.29·100 = 28.999…, and still the best 29 of 100 go on, so
        // the 100th arrival with 28 better ones goes on.
        let hundred = decisions(Array(repeating: 1.0, count: 28) + Array(repeating: 0.0, count: 71) + [0.5], keep: 0.29)
        #expect(hundred.last == .continue)
    }

    @Test func bestPRDIsTheBestMinimumOfRawAndPhysicalUpToTheRung() {
        let halving = SuccessiveHalving(settings: PruningSettings(rungs: [2], keep: 0.5, metric: .bestPRD))
        let trial = TrialRecord(id: 1, sweepID: 1, number: 0, configHash: "h", config: TrialConfig(), state: .running, attempts: 1)
        let epochs = [EpochRecord(epoch: 1, rawPRD: 0.5, physPRD: 0.2), EpochRecord(epoch: 2, rawPRD: 0.3, physPRD: 0.4),
                      EpochRecord(epoch: 3, rawPRD: 0.9, physPRD: 0.9)]
        let d = halving.decide(trial: trial, value: halving.value(epochs, rung: 2), rung: 2, others: [])
        #expect(d.value == 0.3 && d.metric == "best_prd" && d.reached == 1 && d.kept == 1 && d.verdict == .continue)
    }
}

/// `search.replicates`: points take seeds one at a time until a one-sided bound of their mean QG
/// clears the threshold (docs/science.md §8.1).
@Suite struct ReplicatedBoundarySearchTests {
    /// sn and hinge m ∈ {4, 16} on lr over [1e-4, 1], six seeds, 2–6 per point.
    static let spec = """
        training: {epochs: 30}
        grid:
          regularizer: [sn, hinge]
          margin: [4, 16]
        search: {kind: boundary, range: [1e-4, 1.0], initial: 5, resolution: 1.5, replicates: {min: 2, max: 6, confidence: 0.95}}
        seeds: [1, 2, 3, 4, 5, 6]
        """
    /// Seed s's noise: the same at every lr (common random numbers); seed 1 is noise-positive.
    static let offsets = [0.7, -0.3, -0.2, -0.1, -0.1, 0.0]
    /// Every seed turns at T = 1/(2.2·m) (sn: m = 1); seed s's QG is ln(T/lr) + z_s.
    static func turn(_ c: TrialConfig) -> Double { 1 / (2.2 * (c.training.margin ?? 1)) }
    static func noisy(_ c: TrialConfig) -> Double { log(turn(c) / c.training.lr) + offsets[c.training.seed - 1] }

    @Test func replicatesBracketTheTurnThatOneNoisySeedMisplaces() throws {
        let search = try #require(try parse(Self.spec).search.boundary)
        #expect(search.replicates == Replicates(min: 2, max: 6, confidence: 0.95))
        // Initial: 3 combinations × 5 points × 2 seeds; at most 5 + 2 × 3 points of 6 seeds each
        // (two gaps, one at each end of the bracket, each bisected 3 times at most).
        #expect(try parse(Self.spec).trials.count == 30)
        #expect(search.maxBisections == 3 && search.maxBisectionPoints == 6 && search.maxTrials == 3 * 11 * 6)

        var picker = Picker(state: 3)
        let runs = [try runSearch(search, pick: { $0[0] }, outcome: Self.noisy),
                    try runSearch(search, pick: { picker.pick($0) }, outcome: Self.noisy)]
        // Timing decides nothing: the same (point, seed) trials whatever order they finish in.
        #expect(Set(runs[0].map(\.configHash)) == Set(runs[1].map(\.configHash)))
        let trials = runs[0]
        #expect(trials.count <= search.maxTrials)
        // No (point, seed) twice, and each point's seeds are the first n of `seeds:`.
        #expect(Set(trials.map(\.configHash)).count == trials.count)
        for c in search.progress(trials) {
            for p in c.points {
                #expect(p.trials.map(\.seed) == Array(1...p.trials.count), "\(c.label) lr \(p.value)")
                #expect(p.seedsUsed == p.trials.count && p.verdict != nil)
            }
            let t = Self.turn(c.template)
            let (lo, hi) = try #require(c.bracket, "\(c.label)")
            #expect([.bracketed, .undecided].contains(c.outcome), "\(c.label): \(c.outcome)")
            #expect(lo < t && t < hi, "\(c.label): [\(lo), \(hi)] should hold \(t)")
            // Undecided points lie inside the bracket.
            #expect(c.undecidedPoints.allSatisfy { $0.value > lo && $0.value < hi })
        }

        // Seed 1 alone turns at T·e^0.7 ≈ 2T: its bracket, within 1.5, leaves T out.
        let single = try #require(try parse(Self.spec.replacingOccurrences(of: ", replicates: {min: 2, max: 6, confidence: 0.95}", with: "")
            .replacingOccurrences(of: "[1, 2, 3, 4, 5, 6]", with: "[1]")).search.boundary)
        #expect(single.replicates == nil)
        let misplaced = single.progress(try runSearch(single, pick: { $0[0] }, outcome: Self.noisy)).map { c in
            (c.outcome, c.bracket.map { $0.lo > Self.turn(c.template) })
        }
        #expect(misplaced.allSatisfy { $0.0 == .bracketed && $0.1 == true }, "\(misplaced)")
    }

    @Test func aTransitionZoneIsUndecidedAndADipBelowTheTurnIsNonMonotone() throws {
        let search = try #require(try parse(Self.spec).search.boundary)
        // Between T/4 and 4T the seeds disagree (±1 alternately): those points stay undecided
        // with 6 seeds, the bracket's middle among them, so the search stops undecided.
        let zone = { (c: TrialConfig) -> Double in
            let x = log(Self.turn(c) / c.training.lr)
            return abs(x) < log(4) ? (c.training.seed % 2 == 0 ? 1 : -1) + 0.01 * x : x
        }
        let trials = try runSearch(search, pick: { $0[0] }, outcome: zone)
        for c in search.progress(trials) {
            #expect(c.outcome == .undecided, "\(c.label): \(c.outcome)")
            #expect(!c.undecidedPoints.isEmpty && c.undecidedPoints.allSatisfy { $0.seedsUsed == 6 && $0.verdict == .undecided })
            if let lo = c.lo, let hi = c.hi { #expect(c.undecidedPoints.allSatisfy { $0.value > lo && $0.value < hi }) }
        }

        // hinge m=4 does not converge at lr 1e-3 whatever the seed, below converging points.
        let dip = { (c: TrialConfig) -> Double in
            c.training.margin == 4 && c.training.lr == 1e-3 ? -1 : log(Self.turn(c) / c.training.lr) + 0.05 * Double(c.training.seed % 3)
        }
        let progress = search.progress(try runSearch(search, pick: { $0[0] }, outcome: dip))
        #expect(progress.map(\.outcome) == [.bracketed, .nonMonotone, .bracketed], "\(progress.map(\.outcome))")
        #expect(progress[1].isNonMonotone && !progress[0].isNonMonotone)
        #expect(CombinationProgress.Outcome.nonMonotone.status == "non-monotone")
    }

    @Test func noisierSeedsNeverTakeMorePointsThanPlanAllows() throws {
        let search = try #require(try parse(Self.spec).search.boundary)
        // Noise that differs at every (lr, seed): a hash of the two, uniform in [−1, 1].
        func noise(_ c: TrialConfig) -> Double {
            var h = c.training.lr.bitPattern &* 0x9E3779B97F4A7C15 ^ UInt64(c.training.seed) &* 0xBF58476D1CE4E5B9
            h ^= h >> 31; h = h &* 0x94D049BB133111EB; h ^= h >> 29
            return Double(h >> 11) / Double(1 << 53) * 2 - 1
        }
        var outcomes: [String: Int] = [:]
        for sigma in [0.3, 1.0, 3.0, 10.0] {
            let trials = try runSearch(search, pick: { $0[0] }, outcome: { c in log(Self.turn(c) / c.training.lr) + sigma * noise(c) })
            #expect(trials.count <= search.maxTrials)
            #expect(Set(trials.map(\.configHash)).count == trials.count)
            for c in search.progress(trials) {
                #expect(c.points.count <= search.initial + search.maxBisectionPoints, "σ \(sigma) \(c.label): \(c.points.map(\.value))")
                #expect(c.points.allSatisfy { $0.trials.count <= 6 && $0.verdict != nil })
                outcomes[c.outcome.status, default: 0] += 1
            }
        }
        // The noise levels reach every ending but no-crossing.
        #expect(Set(outcomes.keys).isSuperset(of: ["bracketed", "undecided"]), "\(outcomes)")
    }

    @Test func aPointWithMostSeedsDivergedDoesNotConvergeAndOldStoredSearchesDecode() throws {
        let search = try #require(try parse(Self.spec).search.boundary)
        // Seeds 1 and 2 diverge above lr 1e-2: with both of a point's first two seeds diverged
        // (more than half) the point does not converge, with no third seed.
        let trials = try runSearch(search, pick: { $0[0] }, outcome: { c in
            c.training.lr > 0.01 && c.training.seed <= 2 ? nil : 1 })
        for c in search.progress(trials) {
            #expect(c.points.filter { $0.value > 0.01 }.allSatisfy { $0.verdict == .notConverging && $0.seedsUsed == 2 })
            #expect(c.outcome == .bracketed)
        }

        // A search stored before replicates (no such key) decodes as every seed at every point.
        var json = SearchKinds.json(search)
        #expect(json.contains("\"replicates\":{\"confidence\":0.95,\"max\":6,\"min\":2}"))
        let decoded = try JSONDecoder().decode(BoundarySearch.self, from: Data(json.utf8))
        #expect(decoded == search)
        json = json.replacingOccurrences(of: "\"replicates\":{\"confidence\":0.95,\"max\":6,\"min\":2},", with: "")
        let old = try JSONDecoder().decode(BoundarySearch.self, from: Data(json.utf8))
        #expect(old.replicates == nil && old.maxTrials == 3 * 8 * 6)
        // And a search without replicates stores no key, so its JSON is what it was.
        #expect(!SearchKinds.json(try #require(try parse(boundarySpec).search.boundary)).contains("replicates"))
    }
}
