import Foundation
import TrialProtocol

/// The values of a trial config by key name (`training.lr` → 0.001), read from its canonical
/// JSON: how the search reads the searched value of a trial, and the export names what tells
/// combinations apart, for any key of TrialKeys without a getter per key. JSONDecoder reads
/// the doubles exactly, so a value read back equals the one the config holds.
struct ConfigLeaves: Equatable {
    enum Leaf: Hashable, Decodable {
        case number(Double), text(String), numbers([Double])

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let x = try? container.decode(Double.self) { self = .number(x) }
            else if let s = try? container.decode(String.self) { self = .text(s) }
            else { self = .numbers(try container.decode([Double].self)) }
        }

        var number: Double? { if case let .number(x) = self { x } else { nil } }

        var cell: TextTable.Cell {
            switch self {
            case let .number(x): .number(x)
            case let .text(s): .text(s)
            case let .numbers(l): .text(l.map(formatNumber).joined(separator: ","))
            }
        }
    }

    /// Leaves by `section.key`; a key the config leaves unset (nil) is absent.
    let values: [String: Leaf]

    init(_ config: TrialConfig) {
        // The canonical JSON is two levels, section → key → value; nils are omitted.
        let sections = (try? JSONDecoder().decode([String: [String: Leaf]].self, from: config.canonicalJSON)) ?? [:]
        var values: [String: Leaf] = [:]
        for (section, keys) in sections { for (key, leaf) in keys { values["\(section).\(key)"] = leaf } }
        self.values = values
    }

    subscript(name: String) -> Leaf? { values[name] }

    /// The key names whose values differ between some of `configs`, in TrialKeys order.
    static func varying(_ configs: [TrialConfig]) -> [String] {
        let leaves = configs.map(ConfigLeaves.init)
        return TrialKeys.all.map(\.name).filter { name in Set(leaves.map { $0[name] }).count > 1 }
    }
}
