import Foundation

/// `executor.worker: [PROGRAM, ARG…]`, the command a trial runs instead of the embedded trainer
/// (docs/worker-protocol.md, "A worker of your own"). Read at plan time, so that a command
/// that cannot run is refused before any trial starts (file:line, exit 2):
/// - PROGRAM with a `/` is a path, relative to the spec's directory; without one it is looked
///   up on PATH. Either way it must be an executable file, and is stored as an absolute path.
/// - An ARG not starting with `-` that holds a `/` or ends in a script suffix (`.py`, `.sh`, …)
///   is a file, relative to the spec's directory: it must exist and is stored absolute.
///   Any other ARG is passed verbatim.
enum WorkerArgv {
    static let scriptSuffixes = [".py", ".sh", ".jl", ".r", ".R", ".pl", ".rb", ".js", ".lua"]

    static func resolve(_ at: Located, baseDirectory: URL,
                        path: String = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin") throws -> [String] {
        guard case .sequence = at.node else {
            throw at.error("expected a list: the program, then its arguments",
                           fix: "write it as a list, e.g. worker: [python3, train.py]")
        }
        let items = try at.nonEmptyItems(what: "program")
        var argv: [String] = []
        for (i, item) in items.enumerated() {
            let word = try item.string()
            if i == 0 {
                argv.append(try program(word, at: item, baseDirectory: baseDirectory, path: path))
            } else if !word.hasPrefix("-") && (word.contains("/") || scriptSuffixes.contains(where: word.hasSuffix)) {
                let file = absolute(word, baseDirectory: baseDirectory)
                guard FileManager.default.fileExists(atPath: file) else {
                    throw item.error("the worker's file \(file) does not exist",
                                     fix: "give its path relative to the spec's directory (\(baseDirectory.path)) or an absolute path")
                }
                argv.append(file)
            } else {
                argv.append(word)
            }
        }
        return argv
    }

    private static func program(_ word: String, at: Located, baseDirectory: URL, path: String) throws -> String {
        guard !word.isEmpty else { throw at.error("the worker's program is empty", fix: "name a program, e.g. python3") }
        if word.contains("/") {
            let file = absolute(word, baseDirectory: baseDirectory)
            guard isExecutableFile(file) else {
                let problem = FileManager.default.fileExists(atPath: file) ? "is not an executable file" : "does not exist"
                throw at.error("the worker program \(file) \(problem)",
                               fix: "give an executable's path relative to the spec's directory (\(baseDirectory.path)) or an absolute path, or make it executable (chmod +x)")
            }
            return file
        }
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let file = URL(fileURLWithPath: String(directory)).appendingPathComponent(word).path
            if isExecutableFile(file) { return file }
        }
        throw at.error("the worker program `\(word)` is not on PATH",
                       fix: "install it, or give its full path (e.g. /usr/bin/python3)")
    }

    private static func absolute(_ word: String, baseDirectory: URL) -> String {
        let url = word.hasPrefix("/") ? URL(fileURLWithPath: word) : baseDirectory.appendingPathComponent(word)
        return url.standardizedFileURL.path
    }

    private static func isExecutableFile(_ file: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory) && !isDirectory.boolValue
            && FileManager.default.isExecutableFile(atPath: file)
    }
}
