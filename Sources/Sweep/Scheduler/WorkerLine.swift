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

    /// JSON numbers or null; anything else reads as nil.
    private static func number(_ object: [String: Any], _ key: String) -> Double? {
        (object[key] as? NSNumber).map { $0.doubleValue }
    }

    static func parse(_ text: String) -> WorkerLine {
        guard let data = text.data(using: .utf8),
              let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
              let type = object["type"] as? String else { return .unrecognised(text) }
        switch type {
        case "epoch":
            guard let epoch = number(object, "epoch").map({ Int($0) }), epoch >= 1 else { return .unrecognised(text) }
            let k = (object["k"] as? [NSNumber])?.map(\.doubleValue) ?? []
            let record = EpochRecord(
                epoch: epoch, dLoss: number(object, "d_loss"), gLoss: number(object, "g_loss"),
                regLoss: number(object, "reg_loss"), rawPRD: number(object, "raw_prd"), physPRD: number(object, "phys_prd"),
                lipschitzBound: number(object, "lipschitz_bound"), lipschitzEmpirical: number(object, "lipschitz_empirical"),
                k: k, kProduct: number(object, "k_product") ?? (k.isEmpty ? nil : k.reduce(1) { $0 * abs($1) }),
                trainSeconds: number(object, "train_seconds"), evalSeconds: number(object, "eval_seconds"))
            return .epoch(record, replayed: object["replayed"] as? Bool ?? false)
        case "end":
            guard let state = object["state"] as? String else { return .unrecognised(text) }
            return .end(EndLine(state: state, epochs: number(object, "epochs").map { Int($0) },
                                error: object["error"] as? String,
                                divergedAtStep: number(object, "diverged_at_step").map { Int($0) }))
        default:
            return .unrecognised(text)
        }
    }
}
