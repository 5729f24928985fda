import Calo
import Foundation
import Metrics
import TrialProtocol

extension Evaluator {
    /// The evaluator of a trial (its test events and `evaluation:` settings): the one the
    /// embedded trainer scores every epoch with, and `lipsweep score` too.
    public convenience init(trial settings: TrialSettings, data: TrialData) throws {
        try self.init(test: data.test, statistics: data.statistics, clusters: settings.evaluation.clusters,
                      runs: settings.evaluation.prdRuns, zOffset: Float(settings.dataset.zOffset),
                      threshold: Float(settings.dataset.threshold))
    }
}

/// One epoch's scores of events a trainer of the user's own generated for the trial's
/// held-out conditions (`lipsweep score`): RAW and Physical PRD and the physics distances,
/// computed exactly as the embedded trainer's evaluation of that epoch — same test events,
/// same `evaluation:` settings, same seed (`TrialRunner.epochSeed`): the clusterings of RAW
/// PRD seeded 2·seed, of Physical PRD 2·seed + 1, the distances' subsamples seed. So
/// `lipsweep evaluate --real test.npz --generated G.npz --seed S` with those seeds, the trial's
/// clusters, prd_runs and z_off gives the same numbers.
public struct GeneratedEventsScore {
    public var epoch: Int
    public var seed: UInt64
    public var events: Int
    public var scores: EpochScores
    public var histograms: PhysicsHistograms
    public var evalSeconds: Double

    /// Scores `generated` (N×900 GeV, N the test events, in test.npz's order) for `epoch`.
    public static func score(_ generated: [Float], epoch: Int, settings: TrialSettings, data: TrialData) throws -> GeneratedEventsScore {
        let start = DispatchTime.now()
        let seed = TrialRunner.epochSeed(settings, epoch: epoch)
        let (scores, histograms) = try Evaluator(trial: settings, data: data).evaluate(energy: generated, seed: seed)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        return GeneratedEventsScore(epoch: epoch, seed: seed, events: data.test.count, scores: scores, histograms: histograms,
                                    evalSeconds: seconds)
    }

    /// The epoch-line fields `lipsweep score` reports, in the epoch line's order.
    public static let fields: [EpochField] = [.rawPRD, .physPRD, .fpd, .fpdError, .kpd, .kpdError, .kid, .w1AsymmetryAlong,
                                              .w1AsymmetryAcross, .w1WidthAlong, .w1WidthAcross, .w1Sparsity, .evalSeconds]

    /// `{"type":"score","epoch":E,"events":N,"seed":S,"seed_raw_prd":2S,"seed_phys_prd":2S+1,
    /// "raw_prd":…,"phys_prd":…,"fpd":…,…,"w1_sparsity":…,"eval_seconds":…}`, one line.
    public var jsonLine: String {
        // The epoch record's own mapping of the scores to the protocol's fields (the losses and
        // Lipschitz figures it also needs are not reported here).
        let record = EpochRecord(epoch: epoch, losses: EpochLosses(discriminator: 0, generator: 0, regularization: 0),
                                 prd: (scores.rawPRD, scores.physicalPRD), lipschitz: LipschitzEstimate(bound: 0, empirical: 0, k: []),
                                 trainSeconds: 0, evalSeconds: evalSeconds, distances: scores.distances)
        var out: [(String, String)] = [("type", "\"score\""), ("epoch", "\(epoch)"), ("events", "\(events)"), ("seed", "\(seed)"),
                                       ("seed_raw_prd", "\(seed &* 2)"), ("seed_phys_prd", "\(seed &* 2 &+ 1)")]
        out += Self.fields.map { ($0.rawValue, JSONNumber.format(record.field($0))) }
        return JSONNumber.object(out)
    }
}
