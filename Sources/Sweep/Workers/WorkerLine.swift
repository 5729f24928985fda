import Foundation
import TrialProtocol

/// One stdout line of a worker (docs/worker-protocol.md, "The lines").
public enum WorkerLine: Equatable, Sendable {
    case epoch(EpochRecord, replayed: Bool)
    case end(EndLine)
    /// The Appendix C data of a completed trial (TrialProtocol's HistogramsLine).
    case histograms(HistogramsLine)
    /// Not a protocol line (not JSON, or an unknown type): logged, never stored.
    case unrecognised(String)

    /// TrialProtocol's, the one definition of its fields.
    public typealias EndLine = TrialProtocol.EndLine

    /// The fields of an epoch line besides the EpochField numbers; absent and null both
    /// read as nil. Decoded with JSONDecoder, which parses doubles exactly (Linux's
    /// JSONSerialization does not), so the database holds the very numbers the worker printed.
    private struct Fields: Decodable {
        var type: String
        var epoch: Int?
        var k: [Double]?
        var replayed: Bool?
    }

    /// Every EpochField the line carries (an older worker that does not send one leaves it NULL).
    private struct Numbers: Decodable {
        var values: [EpochField: Double] = [:]
        struct Key: CodingKey {
            var stringValue: String
            init(stringValue: String) { self.stringValue = stringValue }
            var intValue: Int? { nil }
            init?(intValue: Int) { nil }
        }
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            for field in EpochField.allCases {
                if let v = try container.decodeIfPresent(Double.self, forKey: Key(stringValue: field.rawValue)) { values[field] = v }
            }
        }
    }

    public static func parse(_ text: String) -> WorkerLine {
        let data = Data(text.utf8)
        guard let f = try? JSONDecoder().decode(Fields.self, from: data) else { return .unrecognised(text) }
        switch f.type {
        case "epoch":
            guard let epoch = f.epoch, epoch >= 1, let numbers = try? JSONDecoder().decode(Numbers.self, from: data) else {
                return .unrecognised(text)
            }
            let k = f.k ?? []
            var record = EpochRecord(epoch: epoch, values: numbers.values, k: k)
            if record[.kProduct] == nil, !k.isEmpty { record[.kProduct] = k.reduce(1) { $0 * abs($1) } }
            return .epoch(record, replayed: f.replayed ?? false)
        case "histograms":
            return HistogramsLine.parse(text).map(WorkerLine.histograms) ?? .unrecognised(text)
        case "end":
            return EndLine.parse(text).map(WorkerLine.end) ?? .unrecognised(text)
        default:
            return .unrecognised(text)
        }
    }
}
