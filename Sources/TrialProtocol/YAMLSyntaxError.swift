import Yams

/// libyaml's errors as one line a user can act on: the line to look at and the problem in
/// words, without Yams' multi-line rendering (the echoed source line and its caret). Shared by
/// the sweep spec's reader and the trial config's, so both say it the same way.
public enum YAMLSyntaxError {
    /// The 1-based line to fix, where libyaml gives one.
    public static func line(_ error: YamlError) -> Int? {
        switch error {
        case let .scanner(context, _, mark, _), let .parser(context, _, mark, _), let .composer(context, _, mark, _):
            // An unclosed flow collection is found at the end of input; its opening line is the place to fix.
            if let context, context.text.contains("flow") { return context.mark.line }
            return mark.line
        case let .duplicatedKeysInMapping(_, context): return context.mark.line
        default: return nil
        }
    }

    /// The problem in libyaml's words, on one line.
    public static func problem(_ error: YamlError) -> String {
        switch error {
        case let .scanner(context, problem, _, _), let .parser(context, problem, _, _), let .composer(context, problem, _, _):
            return [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
        case let .duplicatedKeysInMapping(duplicates, _): return "key given twice: \(duplicates.joined(separator: ", "))"
        default: return "\(error)".split(separator: "\n").first.map(String.init) ?? "unreadable"
        }
    }
}
