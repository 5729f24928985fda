import JSONText
import Foundation

/// One epoch's line of the worker protocol (docs/worker-protocol.md), kept in the checkpoint
/// for replay. Non-finite numbers are written as null (JSON has no NaN or ∞).
public struct EpochRecord: Codable, Sendable, Equatable {
    public var epoch: Int
    public var dLoss: Double
    public var gLoss: Double
    public var regLoss: Double
    public var rawPRD: Double?
    public var physPRD: Double?
    public var lipschitzBound: Double
    public var lipschitzEmpirical: Double
    public var k: [Double]
    public var kProduct: Double
    public var trainSeconds: Double
    public var evalSeconds: Double?

    public init(epoch: Int, losses: EpochLosses, prd: (raw: Double, physical: Double)?, lipschitz: LipschitzEstimate,
                trainSeconds: Double, evalSeconds: Double?) {
        self.epoch = epoch
        dLoss = losses.discriminator; gLoss = losses.generator; regLoss = losses.regularization
        rawPRD = prd?.raw; physPRD = prd?.physical
        lipschitzBound = lipschitz.bound; lipschitzEmpirical = lipschitz.empirical
        k = lipschitz.k; kProduct = lipschitz.kProduct
        self.trainSeconds = trainSeconds; self.evalSeconds = evalSeconds
    }

    enum CodingKeys: String, CodingKey {
        case epoch, k
        case dLoss = "d_loss", gLoss = "g_loss", regLoss = "reg_loss", rawPRD = "raw_prd", physPRD = "phys_prd"
        case lipschitzBound = "lipschitz_bound", lipschitzEmpirical = "lipschitz_empirical", kProduct = "k_product"
        case trainSeconds = "train_seconds", evalSeconds = "eval_seconds"
    }

    /// The protocol's epoch line (one JSON object, no newline).
    public func jsonLine(replayed: Bool) -> String {
        var fields: [(String, String)] = [("type", "\"epoch\""), ("epoch", "\(epoch)")]
        fields += [("d_loss", JSONNumber.format(dLoss)), ("g_loss", JSONNumber.format(gLoss)),
                   ("reg_loss", JSONNumber.format(regLoss)), ("raw_prd", JSONNumber.format(rawPRD)),
                   ("phys_prd", JSONNumber.format(physPRD)), ("lipschitz_bound", JSONNumber.format(lipschitzBound)),
                   ("lipschitz_empirical", JSONNumber.format(lipschitzEmpirical)),
                   ("k", "[" + k.map { JSONNumber.format($0) }.joined(separator: ",") + "]"),
                   ("k_product", JSONNumber.format(kProduct)), ("train_seconds", JSONNumber.format(trainSeconds)),
                   ("eval_seconds", JSONNumber.format(evalSeconds)), ("replayed", replayed ? "true" : "false")]
        return JSONNumber.object(fields)
    }
}

/// Hand-written JSON for the protocol lines: fixed key order, shortest round-trip numbers,
/// non-finite numbers as null.
enum JSONNumber {
    static func format(_ x: Double?) -> String { JSONText.number(x) }
    static func object(_ fields: [(String, String)]) -> String {
        "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }
    static func string(_ s: String?) -> String { JSONText.string(s) }
}
