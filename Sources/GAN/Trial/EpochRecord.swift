import JSONText
import Foundation
import Metrics
import TrialProtocol

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
    // The physics distances of docs/science.md §6.1 (nil on epochs that are not evaluated,
    // and in checkpoints written before they existed, which still decode).
    public var fpd: Double?
    public var fpdError: Double?
    public var kpd: Double?
    public var kpdError: Double?
    public var kid: Double?
    public var w1AsymmetryAlong: Double?
    public var w1AsymmetryAcross: Double?
    public var w1WidthAlong: Double?
    public var w1WidthAcross: Double?
    public var w1Sparsity: Double?

    public init(epoch: Int, losses: EpochLosses, prd: (raw: Double, physical: Double)?, lipschitz: LipschitzEstimate,
                trainSeconds: Double, evalSeconds: Double?, distances: PhysicsDistances? = nil) {
        self.epoch = epoch
        dLoss = losses.discriminator; gLoss = losses.generator; regLoss = losses.regularization
        rawPRD = prd?.raw; physPRD = prd?.physical
        lipschitzBound = lipschitz.bound; lipschitzEmpirical = lipschitz.empirical
        k = lipschitz.k; kProduct = lipschitz.kProduct
        self.trainSeconds = trainSeconds; self.evalSeconds = evalSeconds
        fpd = distances?.fpd?.value; fpdError = distances?.fpd?.error
        kpd = distances?.kpd?.value; kpdError = distances?.kpd?.error
        kid = distances?.kid?.value
        w1AsymmetryAlong = distances?.w1AsymmetryAlong; w1AsymmetryAcross = distances?.w1AsymmetryAcross
        w1WidthAlong = distances?.w1WidthAlong; w1WidthAcross = distances?.w1WidthAcross
        w1Sparsity = distances?.w1Sparsity
    }

    enum CodingKeys: String, CodingKey {
        case epoch, k, fpd, kpd, kid
        case dLoss = "d_loss", gLoss = "g_loss", regLoss = "reg_loss", rawPRD = "raw_prd", physPRD = "phys_prd"
        case lipschitzBound = "lipschitz_bound", lipschitzEmpirical = "lipschitz_empirical", kProduct = "k_product"
        case trainSeconds = "train_seconds", evalSeconds = "eval_seconds"
        case fpdError = "fpd_err", kpdError = "kpd_err"
        case w1AsymmetryAlong = "w1_asym_along", w1AsymmetryAcross = "w1_asym_across"
        case w1WidthAlong = "w1_width_along", w1WidthAcross = "w1_width_across", w1Sparsity = "w1_sparsity"
    }

    /// The value of one protocol field (nil: not measured this epoch).
    public func field(_ name: EpochField) -> Double? {
        switch name {
        case .dLoss: dLoss
        case .gLoss: gLoss
        case .regLoss: regLoss
        case .rawPRD: rawPRD
        case .physPRD: physPRD
        case .fpd: fpd
        case .fpdError: fpdError
        case .kpd: kpd
        case .kpdError: kpdError
        case .kid: kid
        case .w1AsymmetryAlong: w1AsymmetryAlong
        case .w1AsymmetryAcross: w1AsymmetryAcross
        case .w1WidthAlong: w1WidthAlong
        case .w1WidthAcross: w1WidthAcross
        case .w1Sparsity: w1Sparsity
        case .lipschitzBound: lipschitzBound
        case .lipschitzEmpirical: lipschitzEmpirical
        case .kProduct: kProduct
        case .trainSeconds: trainSeconds
        case .evalSeconds: evalSeconds
        }
    }

    /// The protocol's epoch line (one JSON object, no newline): every EpochField, then k.
    public func jsonLine(replayed: Bool) -> String {
        var fields: [(String, String)] = [("type", "\"epoch\""), ("epoch", "\(epoch)")]
        fields += EpochField.allCases.map { ($0.rawValue, JSONNumber.format(field($0))) }
        fields += [("k", "[" + k.map { JSONNumber.format($0) }.joined(separator: ",") + "]"),
                   ("replayed", replayed ? "true" : "false")]
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
}
