import Foundation
import TrialProtocol
import Testing

@Suite struct QualityGainTests {
    @Test func equalsTelescopedDifference() {
        let series = [0.10, 0.30, 0.20, 0.50, 0.40, 0.90, 0.95]  // epochs 6, 7 beyond N_e = 5
        let qg = QualityGain.compute(physicalPRD: series, epochs: 5)
        #expect(qg.reason == nil)
        #expect(abs(qg.value! - (0.40 - 0.10) / 5) < 1e-15)
        // Least squares on x = 1…5, y = (.1, .3, .2, .5, .4): x̄ = 3, ȳ = 0.3,
        // Σ(x−x̄)(y−ȳ) = (−2)(−.2) + (−1)(0) + 0 + (1)(.2) + (2)(.1) = 0.8, Σ(x−x̄)² = 10.
        #expect(abs(qg.slope! - 0.08) < 1e-15)
    }

    @Test func slopeOfALinearSeries() {
        let series = (1...30).map { 0.05 + 0.013 * Double($0) }
        let qg = QualityGain.compute(physicalPRD: series)
        #expect(qg.epochs == 30)
        #expect(abs(qg.slope! - 0.013) < 1e-12)
        #expect(abs(qg.value! - 0.013 * 29 / 30) < 1e-12)
    }

    @Test func shortTrialHasNoQG() {
        let qg = QualityGain.compute(physicalPRD: Array(repeating: 0.2, count: 29), epochs: 30)
        #expect(qg.value == nil && qg.slope == nil)
        #expect(qg.reason == "the trial has 29 evaluated epochs, fewer than qg_epochs = 30")
        let nan = QualityGain.compute(physicalPRD: [0.1, .nan, 0.3], epochs: 3)
        #expect(nan.value == nil && nan.reason == "Physical PRD of epoch 2 is nan")
        #expect(QualityGain.compute(physicalPRD: [0.1, 0.2], epochs: 1).value == nil)
    }

    @Test func boundBookkeeping() throws {
        var bounds = Array(repeating: 10.0, count: 30)
        bounds[29] = 2.5
        let within = LipschitzBoundCheck.compute(bounds: bounds + [99], learningRate: 0.5, hingeMargin: 8)
        #expect(within.bound == 2.5 && within.twoOverBound == 0.8 && within.lrWithinBound == true)
        #expect(within.twoOverMargin == 0.25)
        #expect(within.reason == nil)
        let outside = LipschitzBoundCheck.compute(bounds: bounds, learningRate: 0.81)
        #expect(outside.lrWithinBound == false && outside.twoOverMargin == nil)
        let short = LipschitzBoundCheck.compute(bounds: [1, 2], learningRate: 1e-3, hingeMargin: 2)
        #expect(short.bound == nil && short.lrWithinBound == nil && short.twoOverMargin == 1)
        #expect(short.reason == "the trial has 2 epochs, fewer than qg_epochs = 30")
        let infinite = LipschitzBoundCheck.compute(bounds: [.infinity], learningRate: 1e-3, epochs: 1)
        #expect(infinite.twoOverBound == nil && infinite.reason == "the Lipschitz bound at epoch 1 is inf")

        // Codable round trip (the orchestrator stores these).
        let data = try JSONEncoder().encode(within)
        #expect(try JSONDecoder().decode(LipschitzBoundCheck.self, from: data) == within)
        let qg = QualityGain.compute(physicalPRD: [0.1, 0.2], epochs: 2)
        #expect(try JSONDecoder().decode(QualityGain.self, from: JSONEncoder().encode(qg)) == qg)
    }
}

/// QG on the physics distances (docs/science.md §6.1, §7): lower is better, so QG is the mean
/// per-epoch decrease.
@Suite struct DistanceQualityGainTests {
    /// By hand: d = (.5, .4, .45, .2, .1) over N_e = 5: QG = −(0.1 − 0.5)/5 = 0.08; the slope
    /// of d is Σ(i − 3)(d_i − 0.33)/10 = −1.0/10, negated 0.1.
    @Test func aFallingDistanceHasAPositiveGain() {
        let series = [0.5, 0.4, 0.45, 0.2, 0.1]
        for metric in [QualityMetric.fpd, .kpd, .kid, .w1Mean] {
            let qg = QualityGain.compute(series, epochs: 5, metric: metric)
            #expect(abs(qg.value! - 0.08) < 1e-15 && abs(qg.slope! - 0.1) < 1e-15, "\(metric)")
        }
        let asPRD = QualityGain.compute(series, epochs: 5, metric: .physPRD)
        #expect(abs(asPRD.value! + 0.08) < 1e-15)
        #expect(QualityGain.compute([0.1, .nan], epochs: 2, metric: .fpd).reason == "fpd of epoch 2 is nan")
        // A flat distance gains exactly 0, not −0 (which JSON would print as -0.0).
        #expect(QualityGain.compute([0.2, 0.2], epochs: 2, metric: .kpd).value!.sign == .plus)
    }

    @Test func metricsReadTheirEpochFields() {
        let fields: [EpochField: Double] = [.physPRD: 0.3, .fpd: 0.02, .kpd: 0.004, .kid: 0.001, .w1AsymmetryAlong: 0.1,
                                            .w1AsymmetryAcross: 0.2, .w1WidthAlong: 0.3, .w1WidthAcross: 0.4, .w1Sparsity: 0.5]
        #expect(QualityMetric.fpd.value { fields[$0] } == 0.02 && QualityMetric.kid.value { fields[$0] } == 0.001)
        // w1_mean: the mean of the five W1 columns (0.1 + … + 0.5)/5; missing when one is.
        #expect(abs(QualityMetric.w1Mean.value { fields[$0] }! - 0.3) < 1e-15)
        #expect(QualityMetric.w1Mean.value { $0 == .w1Sparsity ? nil : fields[$0] } == nil)
        #expect(QualityMetric.allCases.filter(\.isDistance) == [.fpd, .kpd, .kid, .w1Mean, .logFPD, .logKPD])
    }
}
