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
    case lipschitzBound = "lipschitz_bound"
    case lipschitzEmpirical = "lipschitz_empirical"
    /// Π|k_i|, D's trainable scales.
    case kProduct = "k_product"
    case trainSeconds = "train_seconds"
    case evalSeconds = "eval_seconds"

    /// The SQL column, the same word as the JSON key.
    public var column: String { rawValue }
}
