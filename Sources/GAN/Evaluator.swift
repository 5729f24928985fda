import Calo
import Metrics
import Tensor

/// Per-epoch evaluation of SPEC §6: one generated event per held-out test condition, then
/// RAW PRD (features: the 900 values log(1 + E), E the mapped-back energies) and Physical
/// PRD (the 54 features of §3, standardised with the real sample's statistics), each with
/// k-means over `clusters` and the curve averaged over `prd_runs` clusterings.
/// The real features are computed once; buffers are reused between epochs.
public final class Evaluator {
    public let test: CaloEvents
    let conditions: [Float]
    let realRaw: FeatureMatrix, realPhysical: FeatureMatrix
    let zOffset: Float, threshold: Float
    let prd: PRDEvaluator
    private var energy: [Float]

    public init(test: CaloEvents, statistics: ConditionStatistics, clusters: Int, runs: Int,
                zOffset: Float, threshold: Float) throws {
        self.test = test; self.zOffset = zOffset; self.threshold = threshold
        conditions = statistics.standardisedConditions(test)
        let n = test.count
        realRaw = FeatureMatrix(rows: n, columns: 900, values: Preprocessing.logTransform(test))
        realPhysical = FeatureMatrix(rows: n, columns: PhysicsFeatures.count,
                                     values: PhysicsFeatures.compute(test, zOffset: zOffset).values)
        prd = try PRDEvaluator(options: PRDOptions(clusters: clusters, runs: runs))
        energy = [Float](repeating: 0, count: n * 900)
    }

    /// (RAW PRD, Physical PRD) of `generator`; noise and clusterings seeded from `seed`.
    public func evaluate(_ generator: any GeneratorNetwork, seed: UInt64) throws -> (raw: Double, physical: Double) {
        var rng = SeededRandom(seed: seed, stream: 0xE7A1)
        let n = test.count
        conditions.withUnsafeBufferPointer { c in
            energy.withUnsafeMutableBufferPointer { e in
                EventSampler.generate(generator, conditions: c, threshold: threshold, rng: &rng, into: e)
            }
        }
        var physical = [Float](repeating: 0, count: n * PhysicsFeatures.count)
        energy.withUnsafeBufferPointer { e in
            test.momentum.withUnsafeBufferPointer { m in
                test.point.withUnsafeBufferPointer { p in
                    physical.withUnsafeMutableBufferPointer { out in
                        _ = PhysicsFeatures.compute(energy: e, momentum: m, point: p, zOffset: zOffset, into: out)
                    }
                }
            }
        }
        var raw = [Float](repeating: 0, count: n * 900)
        raw.withUnsafeMutableBufferPointer { o in energy.withUnsafeBufferPointer { Preprocessing.logTransform($0, into: o) } }
        let rawScore = try prd.evaluate(real: realRaw, generated: FeatureMatrix(rows: n, columns: 900, values: raw),
                                        seed: seed &* 2)
        let physScore = try prd.evaluate(real: realPhysical,
                                         generated: FeatureMatrix(rows: n, columns: PhysicsFeatures.count, values: physical),
                                         seed: seed &* 2 &+ 1, standardize: true)
        return (rawScore.auc, physScore.auc)
    }
}
