import Calo
import Tensor

/// Generation from a saved trial: G of the checkpoint's family rebuilt from its config, its
/// parameters and buffers (a ResNet G's batch-norm running statistics), conditions
/// standardised with the stored training statistics (docs/science.md §2.2).
public enum GeneratorCheckpoint {
    /// One event per condition of `conditions` (its momentum and point are copied).
    public static func generate(_ state: CheckpointState, generatorState: [UInt8], conditions: CaloEvents,
                                seed: UInt64, batch: Int = 256) throws -> CaloEvents {
        var unused = SeededRandom(seed: 0)
        let settings = TrialSettings(state.config)
        let g = settings.model.makeGenerator(maxBatch: batch, rng: &unused)
        try g.store.restore(from: generatorState)
        var rng = SeededRandom(seed: seed, stream: 0x6E4E)
        let c = state.statistics.standardisedConditions(conditions)
        var out = CaloEvents(energy: [Float](repeating: 0, count: conditions.count * 900),
                             momentum: conditions.momentum, point: conditions.point)
        c.withUnsafeBufferPointer { cp in
            out.energy.withUnsafeMutableBufferPointer { e in
                EventSampler.generate(g, conditions: cp, threshold: Float(settings.dataset.threshold), rng: &rng, into: e)
            }
        }
        return out
    }
}
