import Foundation
import GAN
import TrialProtocol
import Testing

/// The reference behaviour of docs/science.md §4 on the built-in data, tiny preset, scaled down to
/// 1,500–3,000 training events (23–46 D steps per epoch) so the suite stays short.
@Suite(.serialized) struct BehaviourTests {
    /// `sn` at lr 1e-3: RAW PRD clearly above its epoch-1 value within 15 epochs. (With 1,500
    /// events, 345 D steps, RAW PRD only reaches ≈ 0.3 by epoch 15; 3,000 give 690 steps.)
    @Test func rawPRDRisesWithSN() throws {
        var config = TrialFixtures.config(regularizer: .sn, train: 3000, test: 500, epochs: 15, lr: 1e-3)
        config.evaluation.clusters = 20
        let (lines, outcome) = try TrialFixtures.run(config)
        #expect(outcome?.state == .completed)
        let raw = TrialFixtures.objects(lines).compactMap { $0["raw_prd"] as? Double }
        #expect(raw.count == 15)
        let first = raw[0], best = raw.suffix(5).max()!
        #expect(best > first + 0.2, "RAW PRD epoch 1 \(first), last five \(raw.suffix(5))")
    }

    static func train(_ kind: RegularizerKind, margin: Double = 2, lr: Double, epochs: Int) throws -> LipschitzEstimate {
        var config = TrialFixtures.config(regularizer: kind, train: 1500, lr: lr)
        if kind.uses(.margin) { config.training.margin = margin }
        if kind.uses(.alpha) { config.training.alpha = 1 }
        let t = try TrialFixtures.trainer(config)
        for _ in 0..<epochs { _ = try t.trainEpoch() }
        return t.measureLipschitz(seed: 1)
    }

    /// hinge, α = 1: the achieved Π|k_i| grows with m and stays below 1.25·m (soft margin).
    @Test func hingeMarginCapsKProduct() throws {
        // 276 D steps: Π|k| climbs ≈ 1.7 uncapped, so m = 1.2 binds and m = 2 does not yet.
        let low = try Self.train(.hinge, margin: 1.2, lr: 3e-3, epochs: 12)
        let high = try Self.train(.hinge, margin: 2, lr: 3e-3, epochs: 12)
        let what = "Π|k| \(low.kProduct) (m 1.2), \(high.kProduct) (m 2)"
        #expect(low.kProduct < 1.25 * 1.2 && high.kProduct < 1.25 * 2, "\(what)")
        #expect(high.kProduct > low.kProduct + 0.25, "\(what)")
        #expect(low.kProduct > 1.1, "the k grow up to the margin: \(what)")
    }

    /// γ = 10 ends as `diverged`, cleanly: within the first epoch, naming the step and the
    /// loss, with a well-formed end line and no QG. For `sn` the run stays finite in float32
    /// (D's hinge saturates while G's output grows to ~1e12), so what ends it is the
    /// divergence threshold; for `none` the losses reach ~1e34.
    @Test(arguments: [RegularizerKind.sn, .hinge, .none])
    func hugeLearningRateDiverges(_ kind: RegularizerKind) throws {
        let config = TrialFixtures.config(regularizer: kind, train: 512, test: 128, epochs: 3, lr: 10)
        let (lines, outcome) = try TrialFixtures.run(config)
        let end = try #require(outcome)
        #expect(end.state == .diverged)
        #expect(end.epochs <= 1, "diverged only after \(end.epochs) epochs")
        let step = try #require(end.divergedAtStep)
        #expect(step >= 1 && step <= 8, "step \(step)")
        #expect(end.error?.contains("beyond divergence_threshold 1e+08") == true || end.error?.contains("non-finite") == true,
                "\(end.error ?? "")")
        let last = try #require(TrialFixtures.objects(lines).last)
        #expect(last["type"] as? String == "end" && last["state"] as? String == "diverged")
        #expect(last["qg"] is NSNull && last["diverged_at_step"] as? Int == step)
    }

    /// With the threshold out of the way only the non-finite rule is left, and the same `sn`
    /// run at γ = 10 "completes" with absurd losses: the reason the threshold exists.
    @Test func withoutTheThresholdAnSNRunAtHugeLearningRateStaysFinite() throws {
        var config = TrialFixtures.config(regularizer: .sn, train: 512, test: 128, epochs: 2, lr: 10)
        config.training.divergenceThreshold = 3e38
        let (lines, outcome) = try TrialFixtures.run(config)
        #expect(outcome?.state == .completed)
        let losses = TrialFixtures.objects(lines).compactMap { $0["g_loss"] as? Double }
        #expect(losses.count == 2 && losses.allSatisfy { abs($0) > 1e8 }, "g_loss \(losses)")
    }

    /// Without SN the Lipschitz bound grows far beyond SN's ≈ 1.
    @Test func noneReachesAMuchLargerBoundThanSN() throws {
        let sn = try Self.train(.sn, lr: 1e-3, epochs: 8)
        let none = try Self.train(.none, lr: 1e-3, epochs: 8)
        #expect(sn.bound < 3, "SN bound \(sn.bound)")
        #expect(none.bound > 10 * sn.bound, "bounds: none \(none.bound), sn \(sn.bound)")
    }
}
