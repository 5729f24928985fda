import UserErrors

/// A mistake in a sweep spec: names the file, the line (when the YAML node carries one), the
/// key path, the problem and the fix. The CLI prints it alone and exits with code 2.
public struct SpecError: UserInputError, Equatable {
    public let file: String
    public let line: Int?
    public let keyPath: String
    public let problem: String
    public let fix: String

    public init(file: String, line: Int?, keyPath: String, problem: String, fix: String) {
        self.file = file; self.line = line; self.keyPath = keyPath; self.problem = problem; self.fix = fix
    }

    /// `<file>:<line>: <key>: <problem>; <fix>`
    public var description: String {
        let place = line.map { "\(file):\($0)" } ?? file
        let key = keyPath.isEmpty ? "" : "\(keyPath): "
        return "\(place): \(key)\(problem); \(fix)"
    }
}
