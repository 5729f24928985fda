import Foundation
import GAN
import Testing
import TrialProtocol

/// The trainer's side of the physics distances (docs/worker-protocol.md): every evaluated
/// epoch's line carries FPD, KPD, KID and the W1s; QG on a distance is its mean per-epoch
/// decrease; the `histograms` line comes once, before `end`, and survives a resume.
@Suite(.serialized) struct PhysicsDistanceTrialTests {
    static func epochs(_ lines: [String]) -> [[String: Any]] {
        TrialFixtures.objects(lines).filter { $0["type"] as? String == "epoch" }
    }

    /// QG on FPD from the end line equals −(1/N_e)·Σ(d_i − d_{i−1}) = (d_1 − d_Ne)/N_e of the
    /// epoch lines' own FPDs, and qg_slope the negated least-squares slope; w1_mean likewise on
    /// the mean of the five W1 columns.
    @Test(arguments: [QualityMetric.fpd, .w1Mean])
    func qgOnADistanceIsItsMeanDecrease(metric: QualityMetric) throws {
        var config = TrialFixtures.config(regularizer: .sn, epochs: 4, lr: 2e-3)
        config.qg.epochs = 4
        config.qg.metric = metric
        let (lines, outcome) = try TrialFixtures.run(config)
        let records = Self.epochs(lines)
        #expect(records.count == 4)
        let series: [Double] = try records.map { r in
            for key in ["fpd", "fpd_err", "kpd", "kpd_err", "kid", "w1_asym_along", "w1_asym_across", "w1_width_along",
                        "w1_width_across", "w1_sparsity"] {
                let v = try #require(r[key] as? Double, "\(key) missing")
                #expect(v.isFinite)
            }
            if metric == .fpd { return r["fpd"] as! Double }
            let w1 = ["w1_asym_along", "w1_asym_across", "w1_width_along", "w1_width_across", "w1_sparsity"].map { r[$0] as! Double }
            return w1.reduce(0, +) / 5
        }
        let qg = try #require(outcome?.qualityGain)
        #expect(abs(qg.value! - (series[0] - series[3]) / 4) <= 1e-12 * max(1, abs(series[0])), "\(series)")
        let slope = ((-1.5) * series[0] + (-0.5) * series[1] + 0.5 * series[2] + 1.5 * series[3]) / 5
        #expect(abs(qg.slope! + slope) <= 1e-12 * max(1, abs(series[0])))
        #expect(metric.isDistance)
    }

    /// Epochs that are not evaluated carry null distances, like their PRDs.
    @Test func unevaluatedEpochsHaveNullDistances() throws {
        var config = TrialFixtures.config(epochs: 2)
        config.evaluation.evalEvery = 2
        let records = Self.epochs(try TrialFixtures.run(config).lines)
        #expect(records[0]["fpd"] is NSNull && records[0]["w1_sparsity"] is NSNull && records[0]["phys_prd"] is NSNull)
        #expect(records[1]["fpd"] is Double && records[1]["kid"] is Double)
    }

    /// A worker killed after its last epoch's checkpoint but before the histograms and end lines
    /// prints both when resumed, equal to an uninterrupted run's (regenerated from the
    /// checkpointed generator with the last epoch's seed).
    @Test func histogramsSurviveAKillAfterTheLastEpoch() throws {
        let config = TrialFixtures.config(regularizer: .hinge, epochs: 2)
        let straight = try TrialFixtures.run(config).lines
        #expect(TrialFixtures.objects(straight).map { $0["type"] as? String } == ["epoch", "epoch", "histograms", "end"])
        let dir = TrialFixtures.temporaryDirectory("histograms")
        defer { try? FileManager.default.removeItem(at: dir) }
        let killed = try TrialFixtures.run(config, directory: dir, stopAfter: 2)
        #expect(killed.outcome == nil && killed.lines.count == 2)
        let resumed = try TrialFixtures.run(config, directory: dir, resume: true).lines
        #expect(resumed.count == 4)
        #expect(resumed[2] == straight[2])
        #expect(resumed[3] == straight[3])
        let histograms = try #require(TrialFixtures.objects([straight[2]]).first)
        #expect(histograms["epoch"] as? Int == 2)
        let widths = try #require(histograms["width_along"] as? [String: Any])
        #expect((widths["real"] as? [Int])?.reduce(0, +) == config.dataset.test)
    }

    /// A checkpoint written before the distances existed still decodes (its records lack the
    /// keys), and its epochs read as not scored.
    @Test func oldEpochRecordsDecode() throws {
        let old = """
        {"epoch":1,"d_loss":0.5,"g_loss":0.7,"reg_loss":0,"raw_prd":0.4,"phys_prd":0.1,"lipschitz_bound":1.1,
         "lipschitz_empirical":0.6,"k":[1,1,1],"k_product":1,"train_seconds":2,"eval_seconds":1}
        """
        let record = try JSONDecoder().decode(EpochRecord.self, from: Data(old.utf8))
        #expect(record.physPRD == 0.1 && record.fpd == nil && record.kpd == nil && record.w1Sparsity == nil)
        #expect(QualityMetric.fpd.value(in: record.field) == nil && QualityMetric.w1Mean.value(in: record.field) == nil
                && QualityMetric.physPRD.value(in: record.field) == 0.1)
        // …and a new one round-trips with its distances.
        var scored = record
        scored.fpd = 0.01; scored.fpdError = 0.002; scored.kid = 1e-4
        #expect(try JSONDecoder().decode(EpochRecord.self, from: JSONEncoder().encode(scored)) == scored)
        #expect(scored.jsonLine(replayed: false).contains("\"phys_prd\":0.1,\"fpd\":0.01,\"fpd_err\":0.002,\"kpd\":null,"))
    }
}
