import Foundation
import Yams

/// Reads the trial config file of docs/worker-protocol.md (YAML; JSON is valid YAML): sections
/// of TrialKeys' keys, every key optional (omitted or `null` → the default). Unknown sections
/// or keys and bad values are errors naming the file and line.
public enum TrialConfigFile {
    /// Adds the file's keys to `builder` (values found later replace earlier ones).
    public static func read(_ text: String, file: String, into builder: inout TrialConfigBuilder) throws(TrialConfigError) {
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch let error as YamlError {
            throw TrialConfigError(place: YAMLSyntaxError.line(error).map { "\(file):\($0)" } ?? file,
                                   problem: "malformed YAML (\(YAMLSyntaxError.problem(error)))",
                                   fix: "check indentation, colons and brackets near that line")
        } catch {
            throw TrialConfigError(place: file, problem: "not readable as YAML (\(error))", fix: "save it as UTF-8 YAML or JSON")
        }
        guard let root else { return }
        guard let sections = root.mapping else {
            throw TrialConfigError(place: "\(file):\(line(root))", problem: "the trial config must be a mapping of sections",
                                   fix: "write sections \(TrialKeys.sections.map { $0 + ":" }.joined(separator: ", "))")
        }
        for (sectionNode, body) in sections {
            let section = sectionNode.string ?? ""
            guard TrialKeys.sections.contains(section) else {
                let hint = didYouMean(section, among: TrialKeys.sections).map { "did you mean `\($0)`? " } ?? ""
                throw TrialConfigError(place: "\(file):\(line(sectionNode))", problem: "unknown section `\(section)`",
                                       fix: "\(hint)known sections: \(TrialKeys.sections.joined(separator: ", "))")
            }
            if body.null != nil { continue }
            guard let fields = body.mapping else {
                throw TrialConfigError(place: "\(file):\(line(body))", problem: "section `\(section)` must be a mapping",
                                       fix: "indent its keys under `\(section):`")
            }
            let known = TrialKeys.keys(of: section).map(\.key)
            for (keyNode, valueNode) in fields {
                let name = "\(section).\(keyNode.string ?? "")"
                guard let key = TrialKeys.named(name) else {
                    let hint = didYouMean(keyNode.string ?? "", among: known).map { "did you mean `\($0)`? " } ?? ""
                    throw TrialConfigError(place: "\(file):\(line(keyNode))", problem: "unknown key `\(name)`",
                                           fix: "\(hint)known keys of \(section): \(known.joined(separator: ", "))")
                }
                if valueNode.null != nil { continue }
                do {
                    builder.set(key, try key.kind.read(valueNode), at: "\(file):\(line(valueNode))")
                } catch {
                    throw TrialConfigError(place: "\(file):\(line(valueNode))", problem: "`\(name)` \(error.problem)", fix: error.fix)
                }
            }
        }
    }

    /// Parses a whole file into a checked config.
    public static func parse(_ text: String, file: String) throws(TrialConfigError) -> TrialConfig {
        var builder = TrialConfigBuilder(defaultPlace: file)
        try read(text, file: file, into: &builder)
        return try builder.build()
    }

    /// The text of the file at `path`.
    public static func load(_ path: String) throws(TrialConfigError) -> String {
        do { return try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw TrialConfigError(place: path, problem: "cannot read the trial config (\(error.localizedDescription))",
                                   fix: "check the path")
        }
    }

    private static func line(_ node: Node) -> Int { node.mark?.line ?? 1 }
}
