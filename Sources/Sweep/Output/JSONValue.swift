import Foundation
import JSONText

/// A JSON value, for the free-form parts of an Optuna journal line (user attributes, the
/// fields of an operation). Written with sorted object keys and shortest round-trip numbers
/// (JSONText), so the same inputs give the same bytes; read back with JSONDecoder.
public indirect enum JSONValue: Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// The JSON text. A non-finite number is written as `null` (JSON has no NaN or ∞).
    public var text: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return "\(i)"
        case .number(let x): return JSONText.number(x)
        case .string(let s): return JSONText.string(s)
        case .array(let items): return "[" + items.map(\.text).joined(separator: ",") + "]"
        case .object(let fields):
            return "{" + fields.keys.sorted().map { JSONText.string($0) + ":" + fields[$0]!.text }.joined(separator: ",") + "}"
        }
    }

    /// The number, whether it was written with a fraction or not.
    public var double: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .number(let x): return x
        default: return nil
        }
    }

    public var int: Int? {
        switch self {
        case .int(let i): return i
        case .number(let x) where x == x.rounded() && abs(x) < 9e15: return Int(x)
        default: return nil
        }
    }
}

/// Equality as JSON means it: 3 and 3.0 are the same number (a value written as `3.0` may be
/// read back as an integer).
extension JSONValue: Equatable {
    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)): return x == y
        default:
            guard let x = a.double, let y = b.double else { return false }
            return x == y
        }
    }
}

extension JSONValue: Decodable {
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int.self) { self = .int(i) }
        else if let x = try? c.decode(Double.self) { self = .number(x) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral {
    public init(arrayLiteral items: JSONValue...) { self = .array(items) }
    public init(dictionaryLiteral fields: (String, JSONValue)...) { self = .object(Dictionary(fields) { $1 }) }
    public init(stringLiteral s: String) { self = .string(s) }
    public init(integerLiteral i: Int) { self = .int(i) }
    public init(floatLiteral x: Double) { self = .number(x) }
    public init(booleanLiteral b: Bool) { self = .bool(b) }
}

extension JSONValue {
    /// nil as `null`.
    public init(_ x: Double?) { self = x.map(JSONValue.number) ?? .null }
    public init(_ s: String?) { self = s.map(JSONValue.string) ?? .null }
    public init(_ b: Bool?) { self = b.map(JSONValue.bool) ?? .null }
}
