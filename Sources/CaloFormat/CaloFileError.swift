import UserErrors

/// A data file the user gave cannot be used: names the file, the array key (when the problem
/// is inside one array) and the fix. The CLI prints it alone and exits with code 2.
public struct CaloFileError: UserInputError, Equatable {
    public let file: String
    public let key: String?
    public let problem: String
    public let fix: String

    public init(file: String, key: String? = nil, problem: String, fix: String) {
        self.file = file
        self.key = key
        self.problem = problem
        self.fix = fix
    }

    /// `<file>:<key>: <problem>; <fix>` — the house format for errors about a file.
    public var description: String {
        "\(file)\(key.map { ":" + $0 } ?? ""): \(problem); \(fix)"
    }
}
