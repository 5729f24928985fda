import Foundation
/// The named values of a trial config (docs/worker-protocol.md, "The trial config"). Their raw
/// values are the words of the wire format, the sweep spec and `lipsweep train`'s options.

/// Where the events come from (`dataset.source`).
public enum DataSource: String, Codable, CaseIterable, Hashable, Sendable {
    /// The built-in shower simulator (docs/science.md §2.1).
    case simulated
    /// An LHCb-format `.npz` file (`dataset.path`).
    case npz
}

/// The named model sizes of docs/science.md §4 (`model.preset`).
public enum Preset: String, Codable, CaseIterable, Hashable, Sendable {
    case tiny, small, paper
}

/// The model family (`model.arch`): the DCGAN-style networks of docs/science.md §4 or the
/// ResNet family of the HingeRLC paper, §4.1. Both use the preset's widths.
public enum Architecture: String, Codable, CaseIterable, Hashable, Sendable {
    case dcgan, resnet
}

/// The adversarial losses of docs/science.md §5 (`training.loss`).
public enum AdversarialLoss: String, Codable, CaseIterable, Hashable, Sendable {
    case bce, hinge, ls, wasserstein
}

/// The Lipschitz regularizers of docs/science.md §5.1 (`training.regularizer`).
public enum RegularizerKind: String, Codable, CaseIterable, Hashable, Sendable {
    case none, sn, alphaK = "alpha-k", l2, linf, hinge, lecam

    /// Whether this regularizer reads `parameter` (the table of docs/science.md §5.1): a
    /// parameter it does not read never multiplies its trials and is refused when given.
    public func uses(_ parameter: RegularizerParameter) -> Bool {
        switch parameter {
        case .margin: self == .hinge
        case .alpha: [.alphaK, .l2, .linf, .hinge].contains(self)
        case .lambda: self == .lecam
        }
    }
}

/// The strengths a regularizer may take: the soft margin m (hinge), α (alpha-k, l2, linf,
/// hinge) and λ (lecam).
public enum RegularizerParameter: String, CaseIterable, Hashable, Sendable {
    case margin, alpha, lambda

    /// The value a trial gets when its regularizer uses the parameter and none is given.
    public var defaultValue: Double {
        switch self {
        case .margin: 2
        case .alpha: 1
        case .lambda: 0.3
        }
    }

    /// The regularizers that read it, in table order.
    public var users: [RegularizerKind] { RegularizerKind.allCases.filter { $0.uses(self) } }

    /// "margin only applies to hinge", for messages.
    public var usersText: String { "\(rawValue) only applies to \(users.map(\.rawValue).joined(separator: ", "))" }
}

/// Which of a trial's two quality-gain figures every decision of a sweep uses (`qg.estimator`,
/// docs/science.md §7): `endpoints`, paper eq. 11, QG = (PRD_{N_e} − PRD_1)/N_e, stored as `qg`;
/// `slope`, the least-squares slope of PRD_i against i over i = 1…N_e, stored as `qg_slope`.
/// The worker computes both either way; the estimator only says which one the orchestrator's
/// boundary search, Optuna objective `qg` and `export qg` decide on.
public enum QGEstimator: String, Codable, CaseIterable, Hashable, Sendable {
    case endpoints, slope

    /// The chosen figure of the two.
    public func pick(qg: Double?, slope: Double?) -> Double? {
        switch self {
        case .endpoints: qg
        case .slope: slope
        }
    }
}

/// The per-epoch series a trial's quality gain is computed on (`qg.metric`,
/// docs/science.md §7).
public enum QualityMetric: String, Codable, CaseIterable, Hashable, Sendable {
    case physPRD = "phys_prd", rawPRD = "raw_prd"
    /// The physics distances of docs/science.md §6.1; `w1_mean` is the mean of the five
    /// recorded W1 columns.
    case fpd, kpd, kid, w1Mean = "w1_mean"
    /// log₁₀ of FPD and KPD, each floored at its own standard error (an estimate below its
    /// error is zero within the estimator's resolution): a distance falls by orders of
    /// magnitude from an untrained generator, so QG on it mostly measures the first epoch's
    /// value, while QG on its logarithm measures the relative decrease per epoch (README,
    /// "How noisy is QG": the quietest QG of the distances).
    case logFPD = "log_fpd", logKPD = "log_kpd"

    /// The five W1 columns whose mean is `w1_mean`.
    public static let w1Fields: [EpochField] = [.w1AsymmetryAlong, .w1AsymmetryAcross, .w1WidthAlong, .w1WidthAcross,
                                                .w1Sparsity]

    /// Distances improve downwards: QG on them is the mean per-epoch decrease.
    public var isDistance: Bool { self != .physPRD && self != .rawPRD }

    /// The metric's value in one epoch's fields (nil when a field it needs is missing).
    public func value(in epoch: (EpochField) -> Double?) -> Double? {
        switch self {
        case .physPRD: epoch(.physPRD)
        case .rawPRD: epoch(.rawPRD)
        case .fpd: epoch(.fpd)
        case .kpd: epoch(.kpd)
        case .kid: epoch(.kid)
        case .logFPD: Self.logarithm(epoch(.fpd), floor: epoch(.fpdError))
        case .logKPD: Self.logarithm(epoch(.kpd), floor: epoch(.kpdError))
        case .w1Mean:
            Self.w1Fields.reduce(Optional(0.0)) { sum, field in
                guard let sum, let value = epoch(field) else { return nil }
                return sum + value
            }.map { $0 / Double(Self.w1Fields.count) }
        }
    }

    /// log₁₀(max(value, floor)); nil when either is missing or both are ≤ 0 (no logarithm).
    static func logarithm(_ value: Double?, floor: Double?) -> Double? {
        guard let value, let floor else { return nil }
        let floored = max(value, floor)
        return floored > 0 ? log10(floored) : nil
    }
}
