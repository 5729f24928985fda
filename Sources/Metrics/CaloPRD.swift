import Calo

/// RAW PRD, Physical PRD and the quality score of two calorimeter event sets (docs/science.md §6).
public struct CaloPRDScore: Codable, Sendable, Equatable {
    /// PRD on the 900 log(1 + E) cell values.
    public var raw: PRDResult
    /// PRD on the 54 physics features of docs/science.md §3, standardised with the real sample's statistics.
    public var physical: PRDResult
    /// min(raw AUC, physical AUC): the trial's quality score.
    public var score: Double
    /// Events with total energy ≤ 0 (their physics features are all 0), per sample.
    public var zeroEnergyReal: Int
    public var zeroEnergyGenerated: Int
}

/// Scores generated events against real ones: RAW PRD (features = log(1 + E) of the 900
/// cells) and Physical PRD (features = `PhysicsFeatures`, standardised with the real
/// sample's mean and sd), each the AUC of the curve averaged over `options.runs` clusterings
/// of the union, and score = min(raw, physical). Reuses its buffers between calls.
public final class CaloPRD {
    public let options: PRDOptions
    public let zOffset: Float
    private let evaluator: PRDEvaluator

    public init(options: PRDOptions, zOffset: Float = PhysicsFeatures.defaultZOffset) throws(MetricsError) {
        guard zOffset.isFinite else {
            throw .invalidOption(name: "z-off", value: "\(zOffset)", allowed: "a finite number of cell units (7 for the simulated data)")
        }
        self.options = options
        self.zOffset = zOffset
        self.evaluator = try PRDEvaluator(options: options)
    }

    /// Both PRDs of `generated` against `real` (each clustering seeded from `seed`).
    public func evaluate(real: CaloEvents, generated: CaloEvents, seed: UInt64) throws(MetricsError) -> CaloPRDScore {
        let raw = try evaluator.evaluate(real: Self.rawFeatures(real), generated: Self.rawFeatures(generated), seed: seed)
        let (realPhysics, realZero) = physicalFeatures(real)
        let (generatedPhysics, generatedZero) = physicalFeatures(generated)
        let physical = try evaluator.evaluate(real: realPhysics, generated: generatedPhysics, seed: seed, standardize: true)
        return CaloPRDScore(raw: raw, physical: physical, score: min(raw.auc, physical.auc),
                            zeroEnergyReal: realZero, zeroEnergyGenerated: generatedZero)
    }

    /// N×900: log(1 + E) per cell (negative cells count as 0), the RAW PRD features.
    public static func rawFeatures(_ events: CaloEvents) -> FeatureMatrix {
        FeatureMatrix(rows: events.count, columns: CaloGrid.cells, values: Preprocessing.logTransform(events))
    }

    /// N×54 physics features (not yet standardised) and the count of zero-energy events.
    public func physicalFeatures(_ events: CaloEvents) -> (FeatureMatrix, zeroEnergy: Int) {
        let (values, zero) = PhysicsFeatures.compute(events, zOffset: zOffset)
        return (FeatureMatrix(rows: events.count, columns: PhysicsFeatures.count, values: values), zero)
    }
}
