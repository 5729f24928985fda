import Foundation

/// One stdout line of a worker (docs/worker-protocol.md, "The lines").
enum WorkerLine: Equatable {
    case epoch(EpochRecord, replayed: Bool)
    case end(EndLine)
    /// Not a protocol line (not JSON, or an unknown type): logged, never stored.
    case unrecognised(String)

    struct EndLine: Equatable {
        var state: String          // completed | diverged
        var epochs: Int?
        var error: String?
        var divergedAtStep: Int?
    }

    /// Every field of either line kind; absent and null both read as nil. Decoded with
    /// JSONDecoder, which parses doubles exactly (Linux's JSONSerialization does not), so the
    /// database holds the very numbers the worker printed.
    private struct Fields: Decodable {
        var type: String
        var epoch: Int?
        var d_loss, g_loss, reg_loss, raw_prd, phys_prd, lipschitz_bound, lipschitz_empirical: Double?
        var k: [Double]?
        var k_product, train_seconds, eval_seconds: Double?
        var replayed: Bool?
        var state: String?
        var epochs: Int?
        var error: String?
        var diverged_at_step: Int?
    }

    static func parse(_ text: String) -> WorkerLine {
        guard let f = try? JSONDecoder().decode(Fields.self, from: Data(text.utf8)) else { return .unrecognised(text) }
        switch f.type {
        case "epoch":
            guard let epoch = f.epoch, epoch >= 1 else { return .unrecognised(text) }
            let k = f.k ?? []
            let record = EpochRecord(
                epoch: epoch, dLoss: f.d_loss, gLoss: f.g_loss, regLoss: f.reg_loss, rawPRD: f.raw_prd, physPRD: f.phys_prd,
                lipschitzBound: f.lipschitz_bound, lipschitzEmpirical: f.lipschitz_empirical, k: k,
                kProduct: f.k_product ?? (k.isEmpty ? nil : k.reduce(1) { $0 * abs($1) }),
                trainSeconds: f.train_seconds, evalSeconds: f.eval_seconds)
            return .epoch(record, replayed: f.replayed ?? false)
        case "end":
            guard let state = f.state else { return .unrecognised(text) }
            return .end(EndLine(state: state, epochs: f.epochs, error: f.error, divergedAtStep: f.diverged_at_step))
        default:
            return .unrecognised(text)
        }
    }
}
