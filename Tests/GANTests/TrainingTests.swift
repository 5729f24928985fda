import Calo
import Foundation
import GAN
import TrialProtocol
import NN
import Tensor
import Testing

/// Training mechanics on the built-in data (tiny preset, few events).
@Suite(.serialized) struct TrainingTests {
    static func trainer(_ kind: RegularizerKind, lr: Double = 1e-3) throws -> GANTrainer {
        let config = TrialFixtures.config(regularizer: kind, train: 320, lr: lr)
        return try TrialFixtures.trainer(config)
    }

    /// Frozen k stay exactly 1; trainable ones move (docs/science.md §5.1's table).
    @Test func trainableScalesFollowTheTable() throws {
        for kind in RegularizerKind.allCases {
            let t = try Self.trainer(kind)
            _ = try t.trainEpoch()
            let k = t.discriminator.scales
            for (i, trained) in kind.trainableScales.enumerated() {
                if trained { #expect(k[i] != 1, "\(kind): k\(i + 1) should have moved") }
                else { #expect(k[i] == 1, "\(kind): k\(i + 1) must stay 1, is \(k[i])") }
            }
        }
    }

    /// Without SN the bound is the plain product of converged σ's; with SN each σ(W̄) ≈ 1
    /// right after initialisation (15 warm-up power steps).
    @Test func lipschitzBoundAtInitialisation() throws {
        let sn = try Self.trainer(.sn).measureLipschitz(seed: 1)
        #expect(sn.bound > 0.9 && sn.bound < 1.1, "SN bound at init \(sn.bound)")
        #expect(sn.empirical > 0 && sn.empirical <= sn.bound * 1.0001, "empirical \(sn.empirical) ≤ bound \(sn.bound)")
        let none = try Self.trainer(.none).measureLipschitz(seed: 1)
        #expect(none.empirical <= none.bound * 1.0001)
        #expect(none.k == [1, 1, 1] && sn.kProduct == 1)
    }

    /// A non-finite weight ends training with a Divergence naming the step, never a crash; the
    /// end line then says `diverged`, keeps the epochs so far and names the step.
    @Test func nonFiniteWeightDiverges() throws {
        let t = try Self.trainer(.sn)
        let first = try t.trainEpoch()
        t.discriminator.store.parameters[7] = .nan
        #expect(throws: Divergence.self) { try t.trainEpoch() }
        do { _ = try t.trainEpoch() } catch {
            #expect(error.step > 5 && error.description.contains("non-finite"))
            let config = TrialFixtures.config(regularizer: .sn)
            let lipschitz = LipschitzEstimate(bound: 1, empirical: 0.5, k: [1, 1, 1])
            let kept = [EpochRecord(epoch: 1, losses: first, prd: (0.1, 0), lipschitz: lipschitz, trainSeconds: 1, evalSeconds: 1)]
            let outcome = TrialRunner.outcome(settings: TrialSettings(config), records: kept, divergence: error)
            #expect(outcome.state == .diverged && outcome.epochs == 1 && outcome.divergedAtStep == error.step)
            #expect(outcome.jsonLine.contains("\"state\":\"diverged\"") && outcome.jsonLine.contains("\"diverged_at_step\":\(error.step)"))
        }
    }

    /// Same seed, one thread → the same numbers.
    @Test func deterministic() throws {
        let a = try Self.trainer(.hinge), b = try Self.trainer(.hinge)
        let la = try a.trainEpoch(), lb = try b.trainEpoch()
        #expect(la == lb)
        #expect(a.discriminator.scales == b.discriminator.scales)
    }

    /// The fitted generator as a simulator: restored from a checkpoint, it reproduces what
    /// the trainer's G generates, and obeys the readout threshold.
    @Test func generateFromCheckpoint() throws {
        let config = TrialFixtures.config(regularizer: .sn, epochs: 1)
        let dir = TrialFixtures.temporaryDirectory("generate")
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try TrialFixtures.run(config, directory: dir)
        let saved = try #require(try Checkpoint.read(from: dir))
        let conditions = ShowerSimulator.simulate(count: 300, seed: 99)
        let a = try GeneratorCheckpoint.generate(saved.state, generatorState: saved.generator, conditions: conditions, seed: 5)
        let b = try GeneratorCheckpoint.generate(saved.state, generatorState: saved.generator, conditions: conditions, seed: 5)
        #expect(a == b && a.count == 300 && a.momentum == conditions.momentum && a.point == conditions.point)
        #expect(a.energy.allSatisfy { $0 == 0 || $0 >= 0.01 })
    }
}
