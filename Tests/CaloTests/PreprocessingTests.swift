import Foundation
import Testing
import Calo

@Suite struct PreprocessingTests {
    @Test func logTransformAndItsInverse() {
        var e = CaloEvents(zeros: 1)
        e.energy[0] = 0; e.energy[1] = Float(M_E - 1); e.energy[2] = 5; e.energy[3] = -0.2
        let x = Preprocessing.logTransform(e)
        #expect(x[0] == 0 && abs(x[1] - 1) < 1e-6 && abs(x[2] - log(6)) < 1e-6 && x[3] == 0)
        let back = Preprocessing.inverseLogTransform(x, threshold: 0.01)
        #expect(back[0] == 0 && abs(back[1] - Float(M_E - 1)) < 1e-5 && abs(back[2] - 5) < 1e-5)
    }

    @Test func inverseClampsAtZeroAndCutsBelowTheThreshold() {
        // exp(x) − 1 < 0 for x < 0 → 0; a haze of 0.005 GeV is cut at 0.01; 0.02 survives.
        let out = Preprocessing.inverseLogTransform([-0.3, log1p(0.005), log1p(0.02), log1p(0.01)], threshold: 0.01)
        #expect(out[0] == 0 && out[1] == 0)
        #expect(abs(out[2] - 0.02) < 1e-6)
        #expect(out[3] >= 0.0099)
        #expect(Preprocessing.inverseLogTransform([log1p(0.005)], threshold: 0)[0] > 0)
    }

    @Test func conditionsAreStandardisedWithTrainingStatistics() throws {
        let train = ShowerSimulator.simulate(count: 400, seed: 1)
        let stats = ConditionStatistics(fitting: train)
        let c = stats.standardisedConditions(train)
        for d in 0..<5 {
            let column = stride(from: d, to: c.count, by: 5).map { Double(c[$0]) }
            let mean = column.reduce(0, +) / 400
            let sd = (column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 400).squareRoot()
            #expect(abs(mean) < 1e-5 && abs(sd - 1) < 1e-4, "dimension \(d)")
        }
        // Raw order is (px, py, pz, x0, y0).
        let raw = Preprocessing.rawConditions(train)
        #expect(raw[0..<5] == [train.momentum[0], train.momentum[1], train.momentum[2], train.point[0], train.point[1]])
        // Codable: the model stores it and gets the same numbers back.
        let decoded = try JSONDecoder().decode(ConditionStatistics.self, from: JSONEncoder().encode(stats))
        #expect(decoded == stats)
    }

    @Test func constantConditionIsNotDividedByZero() {
        var e = CaloEvents(zeros: 3)
        e.momentum = [1, 0, 10, 2, 0, 10, 3, 0, 10]  // py and pz constant, x0 and y0 too
        let stats = ConditionStatistics(fitting: e)
        #expect(stats.sd[1] == 0 && stats.sd[2] == 0)
        let c = stats.standardisedConditions(e)
        #expect(c.allSatisfy { $0.isFinite })
        #expect(c[2] == 0)
    }
}
