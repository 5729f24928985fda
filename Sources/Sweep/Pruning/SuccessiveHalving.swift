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
    /// No trial is decided at a rung before this many trials have reached it: one that arrives
    /// earlier waits there (docs/science.md, "Pruning without arrival bias"). Settings stored
    /// before the key existed read back as 1: decided on arrival, as they were.
    public var minTrials: Int

    /// The default of `min_trials`: η = ⌈1/keep⌉, the smallest number of trials among which
    /// ⌊keep·n⌋ ≥ 1, so that the first decision at a rung is already a halving (the best one of
    /// η goes on) rather than the rule's floor max(1, ·) letting a lone trial through.
    public static func defaultMinTrials(keep: Double) -> Int { max(1, Int((1 / keep - 1e-9).rounded(.up))) }

    public init(rungs: [Int], keep: Double, metric: PruningMetric, minTrials: Int = 1) {
        self.rungs = rungs; self.keep = keep; self.metric = metric; self.minTrials = minTrials
    }

    enum CodingKeys: String, CodingKey { case rungs, keep, metric, minTrials = "min_trials" }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        rungs = try c.decode([Int].self, forKey: .rungs)
        keep = try c.decode(Double.self, forKey: .keep)
        metric = try c.decode(PruningMetric.self, forKey: .metric)
        minTrials = try c.decodeIfPresent(Int.self, forKey: .minTrials) ?? 1
    }
}

/// Decides whether a trial that has reached a rung goes on. The ledger asks it with the
/// values at that rung of every other trial that has reached it (decided or waiting), and
/// stores the answer at once (`rung_decisions`): decisions depend on which trials had arrived,
/// so they are recorded, never recomputed — a rerun after a crash, or `sync` elsewhere, keeps
/// them and decides only the trials that had not been decided.
public protocol Pruner {
    /// The epochs at which it decides, increasing.
    var rungs: [Int] { get }
    var metricName: String { get }
    /// How many trials must have reached a rung before any is decided there.
    var minTrials: Int { get }
    /// The trial's value at `rung` from its stored epochs (nil: it has none, and ranks last).
    func value(_ epochs: [EpochRecord], rung: Int) -> Double?
    /// The decision for `trial`, whose value at `rung` is `value`, given the values of the
    /// `others` that have reached the rung.
    func decide(trial: TrialRecord, value: Double?, rung: Int, others: [Double?]) -> RungDecision
}

/// ASHA (Li et al., "A System for Massively Parallel Hyperparameter Tuning", MLSys 2020) in its
/// stopping form, with a minimum pool. When a trial is decided at rung r, let n be the number of
/// trials that have reached r (itself included) and k = max(1, ⌊keep·n⌋); it goes on when fewer
/// than k of them have a better metric (ties go on), else it is pruned. The ledger decides a
/// trial only once n ≥ `minTrials` (or once no other trial can reach r): the first arrivals are
/// ranked among each other instead of going on by default, and the best trial so far goes on.
public struct SuccessiveHalving: Pruner {
    public let settings: PruningSettings

    public init(settings: PruningSettings) { self.settings = settings }

    public var rungs: [Int] { settings.rungs }
    public var metricName: String { settings.metric.description }
    public var minTrials: Int { settings.minTrials }

    public func value(_ epochs: [EpochRecord], rung: Int) -> Double? { settings.metric.value(epochs, upTo: rung) }

    public func decide(trial: TrialRecord, value: Double?, rung: Int, others: [Double?]) -> RungDecision {
        let reached = others.count + 1
        // 1e-9: keep·n computed in floating point must not fall just below a whole number.
        let kept = max(1, Int((settings.keep * Double(reached) + 1e-9).rounded(.down)))
        let mine = settings.metric.score(value)
        let better = others.filter { settings.metric.score($0) > mine }.count
        return RungDecision(trialID: trial.id, rung: rung, metric: metricName, value: value, reached: reached, kept: kept,
                            verdict: better < kept ? .continue : .prune)
    }
}
