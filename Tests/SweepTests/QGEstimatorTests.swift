import Foundation
import Sweep
import Testing
import TrialProtocol

private func parse(_ yaml: String) throws -> SweepSpec {
    try SweepSpec.parse(text: yaml, file: "t.yaml", baseDirectory: URL(fileURLWithPath: NSTemporaryDirectory()))
}

/// `qg.estimator` (issue 22, item 2): the spec key, the config hash, and the one figure every
/// decision reads (`TrialRecord.decisionQG`).
@Suite struct QGEstimatorTests {
    @Test func endpointsOrNothingKeepsEveryHashAndSlopeChangesIt() throws {
        let base = "training: {epochs: 30}\ngrid:\n  regularizer: [sn, hinge]\n  lr: [1e-3, 1e-2]\n"
        let omitted = try parse(base)
        let endpoints = try parse(base + "qg: {estimator: endpoints}\n")
        let slope = try parse(base + "qg: {estimator: slope}\n")
        #expect(omitted.trials.map(\.configHash) == endpoints.trials.map(\.configHash))
        #expect(omitted.trials.map(\.config.canonicalJSON) == endpoints.trials.map(\.config.canonicalJSON))
        #expect(!String(decoding: endpoints.trials[0].config.canonicalJSON, as: UTF8.self).contains("estimator"))
        #expect(Set(slope.trials.map(\.configHash)).isDisjoint(with: omitted.trials.map(\.configHash)))
        #expect(slope.trials.allSatisfy { $0.config.qg.qgEstimator == .slope })
        #expect(omitted.trials.allSatisfy { $0.config.qg.qgEstimator == .endpoints && $0.config.qg.estimator == nil })
    }

    @Test func decisionQGIsTheChosenFigure() {
        var config = TrialConfig()
        let endpoints = TrialRecord(id: 1, sweepID: 1, number: 0, configHash: "a", config: config, state: .completed, attempts: 1,
                                    qg: 0.25, qgSlope: -0.17)
        config.qg.estimator = .slope
        let slope = TrialRecord(id: 2, sweepID: 1, number: 1, configHash: "b", config: config, state: .completed, attempts: 1,
                                qg: 0.25, qgSlope: -0.17)
        #expect(endpoints.decisionQG == 0.25 && slope.decisionQG == -0.17)
        #expect(QGEstimator.slope.pick(qg: 1, slope: nil) == nil && QGEstimator.endpoints.pick(qg: nil, slope: 1) == nil)
    }

    @Test func aBadEstimatorNamesItsLineAndTheChoices() throws {
        do {
            _ = try parse("name: m\nqg:\n  estimator: median\n")
            Issue.record("parsed")
        } catch let error as SpecError {
            #expect(error.line == 3 && "\(error)".contains("endpoints, slope"), "\(error)")
        }
    }
}
