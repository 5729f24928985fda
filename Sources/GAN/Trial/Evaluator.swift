import Calo
import Metrics
import Tensor

/// One evaluation's scores: docs/science.md §6's two PRDs and the physics distances of docs/science.md
/// §6.1 (nil when the held-out sample has fewer than `PhysicsDistances.minimumEvents` events).
public struct EpochScores: Sendable, Equatable {
    public var rawPRD: Double
    public var physicalPRD: Double
    public var distances: PhysicsDistances?
}

/// Per-epoch evaluation of docs/science.md §6: one generated event per held-out test condition, then
/// RAW PRD (features: the 900 values log(1 + E), E the mapped-back energies) and Physical
/// PRD (the 54 features of §3, standardised with the real sample's statistics), each with
/// k-means over `clusters` and the curve averaged over `prd_runs` clusterings; then FPD, KPD,
/// KID and the W1s on the same 54 features (docs/science.md §6.1).
/// Everything that depends only on the real (test) sample is computed once per trial: its
/// features, both PRDs' prepared real sides (`PRDReference`: checked, standardised, in place at
/// the front of the k-means union), what the distances and histograms need of them; the
/// generated events' buffers are reused between epochs. `cachesRealSample: false` redoes the
/// PRDs' real-side work every evaluation (the benchmark's "before"; a test checks both give
/// the same numbers).
public final class Evaluator {
    public let test: CaloEvents
    let conditions: [Float]
    let realRaw: FeatureMatrix, realPhysical: FeatureMatrix
    let zOffset: Float, threshold: Float
    let prd: PRDEvaluator
    /// The PRDs' prepared real sides (nil: `cachesRealSample` off).
    let rawReference: PRDReference?, physicalReference: PRDReference?
    let distances: PhysicsDistanceEvaluator?
    let binning: PhysicsHistogramBinning
    private var energy: [Float]
    private var generatedRaw: FeatureMatrix, generatedPhysical: FeatureMatrix
    /// The seed of the events now in `energy` and the generated features (nil: none yet).
    private var generatedSeed: UInt64?
    /// Opt-in wall time per `EvaluationPart` (`EvaluationPart.times()`); nil leaves it untimed.
    /// The PRDs' own breakdown is `prdProfile`.
    public var profile: PartTimes?
    public var prdProfile: PartTimes? {
        get { prd.profile }
        set { prd.profile = newValue }
    }
    /// The distances' breakdown (nil without distances).
    public var distancesProfile: PartTimes? {
        get { distances?.profile }
        set { distances?.profile = newValue }
    }

    /// `physicsDistances: false` scores the PRDs only (the benchmark's reference).
    public init(test: CaloEvents, statistics: ConditionStatistics, clusters: Int, runs: Int,
                zOffset: Float, threshold: Float, physicsDistances: Bool = true, cachesRealSample: Bool = true) throws {
        self.test = test; self.zOffset = zOffset; self.threshold = threshold
        conditions = statistics.standardisedConditions(test)
        let n = test.count
        realRaw = FeatureMatrix(rows: n, columns: 900, values: Preprocessing.logTransform(test))
        realPhysical = FeatureMatrix(rows: n, columns: PhysicsFeatures.count,
                                     values: PhysicsFeatures.compute(test, zOffset: zOffset).values)
        prd = try PRDEvaluator(options: PRDOptions(clusters: clusters, runs: runs))
        rawReference = cachesRealSample ? try PRDReference(real: realRaw) : nil
        physicalReference = cachesRealSample ? try PRDReference(real: realPhysical, standardize: true) : nil
        distances = physicsDistances && n >= PhysicsDistances.minimumEvents ? try PhysicsDistanceEvaluator(real: realPhysical) : nil
        binning = PhysicsHistogramBinning(real: realPhysical)
        energy = [Float](repeating: 0, count: n * 900)
        generatedRaw = FeatureMatrix(rows: n, columns: 900, values: [Float](repeating: 0, count: n * 900))
        generatedPhysical = FeatureMatrix(rows: n, columns: PhysicsFeatures.count,
                                          values: [Float](repeating: 0, count: n * PhysicsFeatures.count))
    }

    /// Both PRDs and the physics distances of `generator`; noise, clusterings and the
    /// distances' subsamples seeded from `seed`.
    public func evaluate(_ generator: any GeneratorNetwork, seed: UInt64) throws -> EpochScores {
        generate(generator, seed: seed)
        return try scoreGenerated(seed: seed)
    }

    /// Events a trainer of the user's own generated (`lipsweep score`): `energy` N×900 GeV, one
    /// event per test condition in the test set's order, scored exactly as `evaluate(_:seed:)`
    /// scores G's events for that seed; and their Appendix C histograms.
    public func evaluate(energy given: [Float], seed: UInt64) throws -> (scores: EpochScores, histograms: PhysicsHistograms) {
        precondition(given.count == energy.count, "Evaluator: \(given.count / 900) events given for \(test.count) test conditions")
        energy = given
        computeGeneratedFeatures()
        // Not a generator's events: `histograms(_:seed:)` must not reuse them.
        generatedSeed = nil
        return (try scoreGenerated(seed: seed), binning.histograms(generated: generatedPhysical))
    }

    /// Both PRDs and the distances of the events now in `energy` (their features computed).
    private func scoreGenerated(seed: UInt64) throws -> EpochScores {
        let rawScore = try profile.measure(EvaluationPart.rawPRD.rawValue) { () throws(MetricsError) in
            if let rawReference { return try prd.evaluate(reference: rawReference, generated: generatedRaw, seed: seed &* 2) }
            return try prd.evaluate(real: realRaw, generated: generatedRaw, seed: seed &* 2)
        }
        let physScore = try profile.measure(EvaluationPart.physicalPRD.rawValue) { () throws(MetricsError) in
            if let physicalReference {
                return try prd.evaluate(reference: physicalReference, generated: generatedPhysical, seed: seed &* 2 &+ 1)
            }
            return try prd.evaluate(real: realPhysical, generated: generatedPhysical, seed: seed &* 2 &+ 1, standardize: true)
        }
        let physics = try profile.measure(EvaluationPart.distances.rawValue) { () throws(MetricsError) in
            try distances?.evaluate(generated: generatedPhysical, seed: seed)
        }
        return EpochScores(rawPRD: rawScore.auc, physicalPRD: physScore.auc, distances: physics)
    }

    /// The Appendix C histograms of `generator`'s events for the test conditions, drawn with
    /// `seed` — the very events `evaluate(generator, seed: seed)` scored. Those are reused when
    /// that was the last call (the generator must be unchanged since: the trainer passes the
    /// last epoch's seed after training ended), and regenerated, identically, otherwise (after
    /// a resume, or when the last epoch was not evaluated).
    public func histograms(_ generator: any GeneratorNetwork, seed: UInt64) -> PhysicsHistograms {
        if generatedSeed != seed { generate(generator, seed: seed) }
        return binning.histograms(generated: generatedPhysical)
    }

    /// One event per test condition into `energy`, and its RAW and physics features.
    private func generate(_ generator: any GeneratorNetwork, seed: UInt64) {
        var rng = SeededRandom(seed: seed, stream: 0xE7A1)
        profile.measure(EvaluationPart.generation.rawValue) {
            conditions.withUnsafeBufferPointer { c in
                energy.withUnsafeMutableBufferPointer { e in
                    EventSampler.generate(generator, conditions: c, threshold: threshold, rng: &rng, into: e)
                }
            }
        }
        profile.measure(EvaluationPart.features.rawValue) { computeGeneratedFeatures() }
        generatedSeed = seed
    }

    /// The RAW and physics features of the events in `energy`.
    private func computeGeneratedFeatures() {
        energy.withUnsafeBufferPointer { e in
            test.momentum.withUnsafeBufferPointer { m in
                test.point.withUnsafeBufferPointer { p in
                    generatedPhysical.values.withUnsafeMutableBufferPointer { out in
                        _ = PhysicsFeatures.compute(energy: e, momentum: m, point: p, zOffset: zOffset, into: out)
                    }
                }
            }
            generatedRaw.values.withUnsafeMutableBufferPointer { Preprocessing.logTransform(e, into: $0) }
        }
    }
}

/// The parts of an evaluation `Evaluator.profile` times.
public enum EvaluationPart: Int, CaseIterable, Sendable {
    /// G in evaluation mode on one noise draw per test condition, mapped back to GeV.
    case generation
    /// The generated events' RAW (log(1 + E)) and physics features.
    case features
    case rawPRD, physicalPRD
    /// FPD, KPD, KID and the W1s.
    case distances

    public var name: String {
        switch self {
        case .generation: "generation (G forward)"
        case .features: "features (RAW + physics)"
        case .rawPRD: "RAW PRD"
        case .physicalPRD: "Physical PRD"
        case .distances: "distances (FPD, KPD/KID, W1)"
        }
    }

    public static func times(clock: PartTimes.Clock = .wall) -> PartTimes { PartTimes(names: allCases.map(\.name), clock: clock) }
}
