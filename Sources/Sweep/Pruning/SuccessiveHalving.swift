import Foundation
import TrialProtocol

/// What successive halving ranks trials by at a rung (`pruning.metric`).
public enum PruningMetric: Codable, Equatable, Sendable, CustomStringConvertible {
    /// The best min(RAW, Physical) PRD so far (the quality score of docs/science.md §6).
    case bestPRD
    /// The best value so far of a per-epoch metric (the highest PRD, the lowest distance).
    case epoch(QualityMetric)

    public static let bestPRDName = "best_prd"
    /// Every name `pruning.metric` accepts.
    public static var names: [String] { [bestPRDName] + QualityMetric.allCases.map(\.rawValue) }

    public init?(name: String) {
        if name == Self.bestPRDName { self = .bestPRD } else if let m = QualityMetric(rawValue: name) { self = .epoch(m) } else { return nil }
    }

    public var description: String {
        switch self {
        case .bestPRD: Self.bestPRDName
        case let .epoch(m): m.rawValue
        }
    }

    public init(from decoder: any Decoder) throws {
        let name = try decoder.singleValueContainer().decode(String.self)
        guard let metric = PruningMetric(name: name) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown pruning metric \(name)"))
        }
        self = metric
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// The metric over epochs 1…`rung` (only those stored are there); nil when none has it.
    func value(_ epochs: [EpochRecord], upTo rung: Int) -> Double? {
        let window = epochs.filter { $0.epoch <= rung }
        switch self {
        case .bestPRD:
            return window.compactMap(TrialSummary.score).filter(\.isFinite).max()
        case let .epoch(metric):
            let values = window.compactMap { $0.metric(metric) }.filter(\.isFinite)
            return metric.isDistance ? values.min() : values.max()
        }
    }

    /// Higher is better: the value, negated for a distance; a missing value ranks last.
    func score(_ value: Double?) -> Double {
        guard let value else { return -.infinity }
        if case let .epoch(metric) = self, metric.isDistance { return -value }
        return value
    }
}

/// `pruning:` of a spec: asynchronous successive halving (ASHA) over the long part of a run.
/// Stored with the sweep (`sweeps.pruning_json`).
public struct PruningSettings: Codable, Equatable, Sendable {
    /// Epochs at which trials are compared, increasing; the first is at least `qg.epochs`, so
    /// a pruned trial keeps its QG. A rung at or past a trial's last epoch decides nothing.
    public var rungs: [Int]
    /// A trial goes on past a rung when it is among the best `keep` share of the trials that
    /// reached that rung so far.
    public var keep: Double
    public var metric: PruningMetric

    public init(rungs: [Int], keep: Double, metric: PruningMetric) { self.rungs = rungs; self.keep = keep; self.metric = metric }
}

/// Decides whether a running trial that has just reached a rung goes on. The ledger asks it
/// with the decisions already made at that rung, in the order they were made, and stores the
/// answer at once (`rung_decisions`): decisions depend on the order in which trials arrive,
/// so they are recorded, never recomputed — a rerun after a crash, or `sync` elsewhere,
/// keeps them and decides only the trials that had not been decided.
public protocol Pruner {
    /// The epochs at which it decides, increasing.
    var rungs: [Int] { get }
    var metricName: String { get }
    /// The decision for `trial` at `rung`, from its stored `epochs` and the `earlier`
    /// decisions at that rung (same metric).
    func decide(trial: TrialRecord, epochs: [EpochRecord], rung: Int, earlier: [RungDecision]) -> RungDecision
}

/// ASHA (Li et al., "A System for Massively Parallel Hyperparameter Tuning", MLSys 2020) in its
/// stopping form: no trial waits for stragglers. When a trial reaches rung r, let n be the
/// number of trials that have reached r so far (itself included) and k = max(1, ⌊keep·n⌋); it
/// goes on when fewer than k of them have a better metric (ties go on), else it is pruned. The
/// first trial at a rung always goes on, and so does the best trial so far at every rung.
public struct SuccessiveHalving: Pruner {
    public let settings: PruningSettings

    public init(settings: PruningSettings) { self.settings = settings }

    public var rungs: [Int] { settings.rungs }
    public var metricName: String { settings.metric.description }

    public func decide(trial: TrialRecord, epochs: [EpochRecord], rung: Int, earlier: [RungDecision]) -> RungDecision {
        let value = settings.metric.value(epochs, upTo: rung)
        let reached = earlier.count + 1
        // 1e-9: keep·n computed in floating point must not fall just below a whole number.
        let kept = max(1, Int((settings.keep * Double(reached) + 1e-9).rounded(.down)))
        let mine = settings.metric.score(value)
        let better = earlier.filter { settings.metric.score($0.value) > mine }.count
        return RungDecision(trialID: trial.id, rung: rung, metric: metricName, value: value, reached: reached, kept: kept,
                            verdict: better < kept ? .continue : .prune)
    }
}
