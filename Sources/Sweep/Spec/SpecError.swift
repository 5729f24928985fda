import Tensor

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

/// Closest candidate by edit distance, when close enough to be a plausible typo.
func didYouMean(_ word: String, among candidates: [String]) -> String? {
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
