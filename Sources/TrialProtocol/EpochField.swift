/// The numbers of a worker's epoch line (docs/worker-protocol.md, "The lines"), one column of
/// the `epochs` table each, in column order. The raw value is the JSON key and the column
/// name. Adding a per-epoch metric: a case here, a migration adding its column
/// (Sources/Sweep/Store/Schema.swift), and the trainer writing it; the worker line reader,
/// the store, `query` and the exports follow this list.
public enum EpochField: String, CaseIterable, Hashable, Sendable, Codable {
    case dLoss = "d_loss"
    case gLoss = "g_loss"
    case regLoss = "reg_loss"
    case rawPRD = "raw_prd"
    case physPRD = "phys_prd"
    // The physics distances of docs/science.md §6.1 (lower is better), on evaluated epochs.
    /// Fréchet physics distance and the standard error of its extrapolation.
    case fpd
    case fpdError = "fpd_err"
    /// Kernel physics distance (quartic MMD²) and half its 16–84 % inter-quantile range.
    case kpd
    case kpdError = "kpd_err"
    /// The same estimator with the cubic kernel (the HingeRLC paper's KID).
    case kid
    /// Wasserstein-1 distances of the four scalar physics features, in their own units.
    case w1AsymmetryAlong = "w1_asym_along"
    case w1AsymmetryAcross = "w1_asym_across"
    case w1WidthAlong = "w1_width_along"
    case w1WidthAcross = "w1_width_across"
    /// The mean Wasserstein-1 distance over the 50 sparsity features.
    case w1Sparsity = "w1_sparsity"
    case lipschitzBound = "lipschitz_bound"
    case lipschitzEmpirical = "lipschitz_empirical"
    /// Π|k_i|, D's trainable scales.
    case kProduct = "k_product"
    case trainSeconds = "train_seconds"
    case evalSeconds = "eval_seconds"

    /// The SQL column, the same word as the JSON key.
    public var column: String { rawValue }
}
