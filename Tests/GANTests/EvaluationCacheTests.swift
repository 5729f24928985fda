import Calo
import GAN
import Tensor
import Testing
import TrialProtocol

/// The evaluator's real-sample cache (issue 23): what depends only on the held-out events is
/// prepared once per trial, and that must change no number. Two epochs of a training trainer,
/// each evaluated by one cached evaluator (the trial's: its second evaluation reuses what the
/// first prepared), give exactly the scores of an evaluator that redoes the real side, PRDs,
/// distances and all.
@Suite struct EvaluationCacheTests {
    @Test func twoEpochsWithTheCacheEqualTheEvaluationWithout() throws {
        BLAS.threads = 1
        let events = ShowerSimulator.simulate(count: 450, seed: 11)
        let trial = TrialData.make(train: events.slice(0..<256), test: events.slice(256..<450), zOffset: 7)
        func evaluator(cached: Bool) throws -> Evaluator {
            try Evaluator(test: trial.test, statistics: trial.statistics, clusters: 12, runs: 2, zOffset: 7, threshold: 0.01,
                          cachesRealSample: cached)
        }
        let cached = try evaluator(cached: true)
        let options = TrainingOptions(batch: 64, loss: .hinge, discriminatorSteps: 3, regressionWeight: 1, learningRate: 2e-3,
                                      regularizer: Regularizer(kind: .sn), seed: 4)
        let trainer = GANTrainer(model: ModelConfig(preset: .tiny), options: options, data: trial.training)
        var scores: [EpochScores] = []
        for epoch in 1...2 {
            _ = try trainer.trainEpoch(threads: 1)
            let seed = 0x9E37_79B9 &+ UInt64(epoch)
            let withCache = try cached.evaluate(trainer.generator, seed: seed)
            let without = try evaluator(cached: false).evaluate(trainer.generator, seed: seed)
            #expect(withCache == without, "epoch \(epoch)")
            #expect(withCache.distances != nil)
            scores.append(withCache)
        }
        // Two different generators: the comparison is not between two copies of one number.
        #expect(scores[0] != scores[1])
    }
}
