import Foundation
import Testing
import TrialProtocol

/// The log-distance series (docs/science.md §7): log₁₀ of the distance floored at its error,
/// none where neither is positive, and QG on it the mean decrease in decades per epoch.
@Suite struct QualityMetricTests {
    static func fields(_ values: [EpochField: Double]) -> (EpochField) -> Double? { { values[$0] } }

    @Test func logDistancesAreFlooredAtTheirError() {
        #expect(QualityMetric.logFPD.value(in: Self.fields([.fpd: 100, .fpdError: 3])) == 2)
        #expect(QualityMetric.logFPD.value(in: Self.fields([.fpd: 0, .fpdError: 0.01])) == -2)
        #expect(QualityMetric.logKPD.value(in: Self.fields([.kpd: -0.5, .kpdError: 0.001])) == -3)
        #expect(QualityMetric.logKPD.value(in: Self.fields([.kpd: -0.5, .kpdError: 0])) == nil)
        #expect(QualityMetric.logFPD.value(in: Self.fields([.fpd: 10])) == nil)
        #expect(QualityMetric.logFPD.isDistance && QualityMetric.logKPD.isDistance)
    }

    @Test func qgOnLogFPDIsDecadesPerEpoch() throws {
        // FPD 1000 → 10 over a 4-epoch window: 2 decades, QG = 2/4 = 0.5.
        let series = [1000.0, 300, 50, 10].map { QualityMetric.logFPD.value(in: Self.fields([.fpd: $0, .fpdError: 1]))! }
        let gain = QualityGain.compute(series, epochs: 4, metric: .logFPD)
        #expect(abs(try #require(gain.value) - 0.5) < 1e-12)
    }
}
