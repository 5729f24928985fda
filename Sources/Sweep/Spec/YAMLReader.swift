import Foundation
import TrialProtocol
import Yams

/// One YAML node with where it came from, so every error can name file, line and key path.
struct Located {
    let node: Node
    let path: String
    let file: String

    var line: Int? { node.mark?.line }
    /// `file:line`, for messages.
    var place: String { line.map { "\(file):\($0)" } ?? file }

    func error(_ problem: String, fix: String) -> SpecError {
        SpecError(file: file, line: line, keyPath: path, problem: problem, fix: fix)
    }

    var isNull: Bool {
        if case .scalar = node, node.null != nil { return true }
        return false
    }

    /// The mapping's entries in file order; unknown keys are refused with a did-you-mean.
    func mapping(allowed: [String]) throws -> [(key: String, value: Located)] {
        guard case let .mapping(map) = node else {
            throw error("expected a mapping of keys (\(allowed.joined(separator: ", ")))",
                        fix: "write it as `key: value` lines indented under `\(path)`")
        }
        var seen = Set<String>()
        var entries: [(key: String, value: Located)] = []
        for (keyNode, valueNode) in map {
            guard let key = keyNode.string else {
                throw Located(node: keyNode, path: path, file: file)
                    .error("a key must be a plain word", fix: "use one of \(allowed.joined(separator: ", "))")
            }
            let child = path.isEmpty ? key : "\(path).\(key)"
            if !allowed.contains(key) {
                let hint = didYouMean(key, among: allowed).map { "did you mean `\($0)`?" }
                    ?? "known keys here: \(allowed.joined(separator: ", "))"
                throw Located(node: keyNode, path: child, file: file).error("unknown key", fix: hint)
            }
            if !seen.insert(key).inserted {
                throw Located(node: keyNode, path: child, file: file).error("key given twice", fix: "keep one")
            }
            entries.append((key, Located(node: valueNode, path: child, file: file)))
        }
        return entries
    }

    func string() throws -> String {
        guard case .scalar = node, let s = node.string, node.null == nil else {
            throw error("expected a word or text", fix: "give a single value")
        }
        return s
    }

    func choice(_ options: [String]) throws -> String {
        let s = try string()
        guard options.contains(s) else {
            let hint = didYouMean(s, among: options).map { "did you mean `\($0)`? " } ?? ""
            throw error("`\(s)` is not one of \(options.joined(separator: ", "))",
                        fix: "\(hint)choose one of \(options.joined(separator: ", "))")
        }
        return s
    }

    func double() throws -> Double {
        guard case .scalar = node, let v = node.float ?? node.int.map(Double.init), v.isFinite else {
            throw error("expected a number, found `\(node.string ?? "a list or mapping")`",
                        fix: "write a plain number such as 0.001 or 1e-3")
        }
        return v
    }

    func int() throws -> Int {
        if case .scalar = node, let v = node.int { return v }
        if case .scalar = node, let v = node.float, v.isFinite, v == v.rounded(), abs(v) < 1e15 { return Int(v) }
        throw error("expected a whole number, found `\(node.string ?? "a list or mapping")`",
                    fix: "write an integer such as 30")
    }

    func positiveInt() throws -> Int {
        let v = try int()
        guard v > 0 else { throw error("must be at least 1, found \(v)", fix: "give a positive whole number") }
        return v
    }

    func intList() throws -> [Int] {
        guard case let .sequence(seq) = node else {
            throw error("expected a list of whole numbers", fix: "write it as [8, 16, 32]")
        }
        return try seq.enumerated().map { try Located(node: $1, path: "\(path)[\($0)]", file: file).positiveInt() }
    }

    /// The value of a trial-config key, read and range-checked by its kind (TrialKeys).
    func value(of key: TrialKey) throws -> TrialValue {
        do { return try key.kind.read(node) } catch { throw self.error(error.problem, fix: error.fix) }
    }

    /// The items of a list that must not be empty (an empty axis or seed list would make a
    /// sweep of no trials), or the node itself as a one-item list.
    func nonEmptyItems(what: String) throws -> [Located] {
        if case let .sequence(seq) = node, seq.isEmpty {
            throw error("the list is empty, so the sweep would have no trials", fix: "give at least one \(what)")
        }
        return items
    }

    /// The items of a list, or the node itself as a one-item list.
    var items: [Located] {
        if case let .sequence(seq) = node {
            return seq.enumerated().map { Located(node: $1, path: "\(path)[\($0)]", file: file) }
        }
        return [self]
    }
}

/// Parses YAML text into its root node, turning libyaml's errors into a SpecError with a line.
func composeSpec(text: String, file: String) throws -> Located {
    do {
        guard let root = try Yams.compose(yaml: text) else {
            throw SpecError(file: file, line: nil, keyPath: "", problem: "the spec is empty",
                            fix: "start from sweeps/smoke.yaml or sweeps/default.yaml")
        }
        return Located(node: root, path: "", file: file)
    } catch let error as YamlError {
        throw SpecError(file: file, line: YAMLSyntaxError.line(error), keyPath: "",
                        problem: "malformed YAML (\(YAMLSyntaxError.problem(error)))",
                        fix: "check indentation, colons and brackets near that line")
    }
}
