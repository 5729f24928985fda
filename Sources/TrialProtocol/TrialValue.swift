import Foundation
import Yams

/// One value of a trial-config key, as read from YAML or a command line.
public enum TrialValue: Hashable, Sendable, CustomStringConvertible {
    case integer(Int)
    case number(Double)
    case word(String)
    case integers([Int])

    public var description: String {
        switch self {
        case let .integer(i): "\(i)"
        case let .number(x): "\(x)"
        case let .word(w): w
        case let .integers(l): "[" + l.map(String.init).joined(separator: ", ") + "]"
        }
    }

    /// The value as a number, for integers and numbers.
    public var number: Double? {
        switch self {
        case let .integer(i): Double(i)
        case let .number(x): x
        default: nil
        }
    }

    var int: Int { if case let .integer(i) = self { i } else { preconditionFailure("not an integer: \(self)") } }
    var double: Double { if case let .number(x) = self { x } else { preconditionFailure("not a number: \(self)") } }
    var word: String { if case let .word(w) = self { w } else { preconditionFailure("not a word: \(self)") } }
    var ints: [Int] { if case let .integers(l) = self { l } else { preconditionFailure("not a list: \(self)") } }
}

/// Why a value cannot be used; the reader adds the place (file:line or the option).
public struct ValueProblem: Error, Equatable, Sendable {
    public var problem: String
    public var fix: String
    public init(_ problem: String, fix: String) { self.problem = problem; self.fix = fix }
}

/// The type and range of a key's values. One place checks them, for specs, trial configs and
/// `lipsweep train` options alike.
public enum ValueKind: Sendable, Equatable {
    case integer(min: Int)
    case number(NumberRange)
    case word([String])
    case integers(count: Int)
    /// A file path (a word kept as written).
    case path

    public enum NumberRange: Sendable, Equatable {
        case finite, nonNegative, positive
    }

    /// Reads a YAML scalar or list.
    public func read(_ node: Node) throws(ValueProblem) -> TrialValue {
        switch self {
        case .integer, .number, .word, .path:
            guard case .scalar = node, node.null == nil, let text = node.string else {
                throw ValueProblem("expected a single value, found \(Self.shape(node))", fix: example)
            }
            return try read(text: text, yamlNumber: node.float ?? node.int.map(Double.init))
        case let .integers(count):
            guard case let .sequence(items) = node else {
                throw ValueProblem("expected a list of \(count) whole numbers, found \(Self.shape(node))", fix: example)
            }
            return try integers(items.map { $0.string ?? "" }, count: count)
        }
    }

    /// Reads a command-line value (lists comma-separated: `8,16,32,32,32`).
    public func read(text: String) throws(ValueProblem) -> TrialValue {
        if case let .integers(count) = self {
            let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            return try integers(parts, count: count)
        }
        return try read(text: text, yamlNumber: Double(text))
    }

    /// A number computed elsewhere (a grid's logspace point) as a value of this kind.
    public func value(ofNumber x: Double) throws(ValueProblem) -> TrialValue {
        try read(text: String(format: "%.12g", x), yamlNumber: x)
    }

    /// Whether values of this kind are numbers (a grid may give them as logspace/linspace).
    public var isNumeric: Bool {
        switch self {
        case .integer, .number: true
        default: false
        }
    }

    private func read(text: String, yamlNumber: Double?) throws(ValueProblem) -> TrialValue {
        switch self {
        case let .integer(min):
            guard let v = Self.wholeNumber(text, yamlNumber) else {
                throw ValueProblem("expected a whole number, found `\(text)`", fix: example)
            }
            guard v >= min else { throw ValueProblem("must be at least \(min), found \(text)", fix: example) }
            return .integer(v)
        case let .number(range):
            guard let v = yamlNumber, v.isFinite else {
                throw ValueProblem("expected a number, found `\(text)`", fix: "write a plain number such as 0.001 or 1e-3")
            }
            switch range {
            case .finite: break
            case .nonNegative where v < 0: throw ValueProblem("cannot be negative, found \(text)", fix: "give a value ≥ 0")
            case .positive where v <= 0: throw ValueProblem("must be positive, found \(text)", fix: example)
            default: break
            }
            return .number(v)
        case let .word(choices):
            guard choices.contains(text) else {
                let hint = didYouMean(text, among: choices).map { "did you mean `\($0)`? " } ?? ""
                throw ValueProblem("`\(text)` is not one of \(choices.joined(separator: ", "))",
                                   fix: "\(hint)choose one of \(choices.joined(separator: ", "))")
            }
            return .word(text)
        case .path:
            guard !text.isEmpty else { throw ValueProblem("the path is empty", fix: "give a file such as events.npz") }
            return .word(text)
        case .integers:
            preconditionFailure("lists are read by integers(_:count:)")
        }
    }

    private func integers(_ parts: [String], count: Int) throws(ValueProblem) -> TrialValue {
        guard parts.count == count else {
            throw ValueProblem("expected \(count) whole numbers, found \(parts.count)", fix: example)
        }
        var out: [Int] = []
        for part in parts {
            guard let v = Self.wholeNumber(part, Double(part)), v >= 1 else {
                throw ValueProblem("expected positive whole numbers, found `\(part)`", fix: example)
            }
            out.append(v)
        }
        return .integers(out)
    }

    /// An example of a good value, as the fix of a message.
    public var example: String {
        switch self {
        case let .integer(min): "give a whole number ≥ \(min), e.g. \(Swift.max(min, 30))"
        case let .number(range):
            switch range {
            case .finite: "give a number such as 7"
            case .nonNegative: "give a number ≥ 0 such as 1"
            case .positive: "give a positive number such as 1e-3"
            }
        case let .word(choices): "choose one of \(choices.joined(separator: ", "))"
        case let .integers(count): "give \(count) whole numbers, e.g. [\((1...count).map { "\($0 * 8)" }.joined(separator: ", "))]"
        case .path: "give the path of a file"
        }
    }

    /// A whole number written as 30, 3e1 or 30.0.
    static func wholeNumber(_ text: String, _ number: Double?) -> Int? {
        if let i = Int(text) { return i }
        guard let v = number, v.isFinite, v == v.rounded(), abs(v) < 1e15 else { return nil }
        return Int(v)
    }

    static func shape(_ node: Node) -> String {
        switch node {
        case .mapping: "a mapping"
        case .sequence: "a list"
        default: node.null != nil ? "null" : "`\(node.string ?? "")`"
        }
    }
}

/// Closest candidate by edit distance, when close enough to be a plausible typo.
public func didYouMean(_ word: String, among candidates: [String]) -> String? {
    let scored = candidates.map { ($0, editDistance(word.lowercased(), $0.lowercased())) }
    guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
    return best.1 <= max(2, word.count / 3) ? best.0 : nil
}

/// Levenshtein distance (insert, delete, substitute each cost 1), two-row dynamic programme.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in stride(from: 1, through: b.count, by: 1) {
            let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
            current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}
