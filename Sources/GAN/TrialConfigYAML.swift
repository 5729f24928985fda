import Foundation
import Yams

/// Reads the trial config of docs/worker-protocol.md from YAML (JSON is valid YAML).
/// Sections dataset, model, training, evaluation, qg; every key optional (omitted → the
/// preset's or the protocol's default; `model.preset` is read first since it sets the
/// others' defaults); `null` keeps the default. Unknown keys and bad values are errors naming
/// the file and line.
public enum TrialConfigYAML {
    typealias Setter = @Sendable (inout TrialConfig, Value) throws(TrialConfigError) -> Void

    /// A YAML value with where it came from, for messages.
    struct Value {
        let node: Node
        let key: String
        let place: String

        func fail(_ problem: String, _ fix: String) -> TrialConfigError {
            TrialConfigError(place: place, problem: "`\(key)` \(problem)", fix: fix)
        }
        var isNull: Bool { node.null != nil }
        func integer(min: Int = Int.min) throws(TrialConfigError) -> Int {
            guard let v = node.int, v >= min else {
                throw fail("must be an integer ≥ \(min), got '\(node.string ?? "a \(kind)")'", "give a whole number")
            }
            return v
        }
        func number() throws(TrialConfigError) -> Double {
            guard let v = node.float, v.isFinite else {
                throw fail("must be a number, got '\(node.string ?? "a \(kind)")'", "give a number such as 0.001 or 1e-3")
            }
            return v
        }
        func text() throws(TrialConfigError) -> String {
            guard let s = node.scalar?.string else { throw fail("must be a string, got a \(kind)", "give a single value") }
            return s
        }
        func choice<T: RawRepresentable & CaseIterable>(_: T.Type) throws(TrialConfigError) -> T where T.RawValue == String {
            let s = try text()
            guard let v = T(rawValue: s) else {
                throw fail("has no value '\(s)'", "use one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return v
        }
        func integers(count: Int) throws(TrialConfigError) -> [Int] {
            guard let seq = node.sequence, seq.count == count else {
                throw fail("must be a list of \(count) integers", "write e.g. [\((1...count).map { "\($0 * 8)" }.joined(separator: ", "))]")
            }
            var out: [Int] = []
            for item in seq {
                guard let v = item.int, v >= 1 else {
                    throw fail("must hold positive integers, got '\(item.string ?? "a list")'", "give whole numbers ≥ 1")
                }
                out.append(v)
            }
            return out
        }
        private var kind: String {
            switch node {
            case .mapping: "mapping"
            case .sequence: "list"
            default: "value"
            }
        }
    }

    /// Every accepted key (section.key) and how it sets the config.
    static let setters: [String: Setter] = [
        "dataset.source": { c, v throws(TrialConfigError) in c.dataset.source = try v.choice(DataSource.self) },
        "dataset.path": { c, v throws(TrialConfigError) in c.dataset.path = try v.text() },
        "dataset.train": { c, v throws(TrialConfigError) in c.dataset.train = try v.integer(min: 1) },
        "dataset.test": { c, v throws(TrialConfigError) in c.dataset.test = try v.integer(min: 1) },
        "dataset.seed": { c, v throws(TrialConfigError) in c.dataset.seed = UInt64(try v.integer(min: 0)) },
        "dataset.z_off": { c, v throws(TrialConfigError) in c.dataset.zOffset = try v.number() },
        "dataset.threshold": { c, v throws(TrialConfigError) in c.dataset.threshold = try v.number() },
        "model.preset": { _, _ in },  // read first, by `parse`
        "model.arch": { c, v throws(TrialConfigError) in c.model.architecture = try v.choice(Architecture.self) },
        "model.d_z": { c, v throws(TrialConfigError) in c.model.latent = try v.integer(min: 1) },
        "model.width": { c, v throws(TrialConfigError) in c.model.width = try v.integer(min: 2) },
        "model.d_widths": { c, v throws(TrialConfigError) in c.model.discriminatorWidths = try v.integers(count: 5) },
        "model.fc": { c, v throws(TrialConfigError) in c.model.fullyConnected = try v.integers(count: 2) },
        "training.epochs": { c, v throws(TrialConfigError) in c.epochs = try v.integer(min: 1) },
        "training.batch": { c, v throws(TrialConfigError) in c.training.batch = try v.integer(min: 1) },
        "training.loss": { c, v throws(TrialConfigError) in c.training.loss = try v.choice(AdversarialLoss.self) },
        "training.d_steps": { c, v throws(TrialConfigError) in c.training.discriminatorSteps = try v.integer(min: 1) },
        "training.alpha_reg": { c, v throws(TrialConfigError) in c.training.regressionWeight = try v.number() },
        "training.lr": { c, v throws(TrialConfigError) in c.training.learningRate = try v.number() },
        "training.lr_g": { c, v throws(TrialConfigError) in c.training.generatorLearningRate = try v.number() },
        "training.regularizer": { c, v throws(TrialConfigError) in c.training.regularizer.kind = try v.choice(RegularizerKind.self) },
        "training.margin": { c, v throws(TrialConfigError) in c.training.regularizer.margin = try v.number() },
        "training.alpha": { c, v throws(TrialConfigError) in c.training.regularizer.alpha = try v.number() },
        "training.lambda": { c, v throws(TrialConfigError) in c.training.regularizer.lambda = try v.number() },
        "training.seed": { c, v throws(TrialConfigError) in c.training.seed = UInt64(try v.integer(min: 0)) },
        "training.divergence_threshold": { c, v throws(TrialConfigError) in c.training.divergenceThreshold = try v.number() },
        "evaluation.eval_every": { c, v throws(TrialConfigError) in c.evaluation.evalEvery = try v.integer(min: 1) },
        "evaluation.clusters": { c, v throws(TrialConfigError) in c.evaluation.clusters = try v.integer(min: 1) },
        "evaluation.prd_runs": { c, v throws(TrialConfigError) in c.evaluation.prdRuns = try v.integer(min: 1) },
        "qg.epochs": { c, v throws(TrialConfigError) in c.qualityGain.epochs = try v.integer(min: 2) },
        "qg.metric": { c, v throws(TrialConfigError) in c.qualityGain.metric = try v.choice(QualityMetric.self) },
    ]

    public static var acceptedKeys: [String] { setters.keys.sorted() }

    /// Parses `text` (from `file`, for messages). `presetOverride` (the command line's
    /// --preset) wins over `model.preset`.
    public static func parse(_ text: String, file: String, presetOverride: Preset? = nil) throws(TrialConfigError) -> TrialConfig {
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch {
            throw TrialConfigError(place: file, problem: "not valid YAML: \(error)", fix: "fix the syntax at the line shown")
        }
        guard let root else { return TrialConfig(preset: presetOverride ?? .tiny) }
        guard let sections = root.mapping else {
            throw TrialConfigError(place: "\(file):\(line(root))", problem: "the trial config must be a mapping of sections",
                                   fix: "write sections dataset:, model:, training:, evaluation:, qg:")
        }
        var entries: [Value] = []
        let sectionNames = Set(setters.keys.map { String($0.split(separator: ".")[0]) })
        for (keyNode, body) in sections {
            let section = keyNode.string ?? ""
            guard sectionNames.contains(section) else {
                throw TrialConfigError(place: "\(file):\(line(keyNode))", problem: "unknown section `\(section)`",
                                       fix: "known sections: \(sectionNames.sorted().joined(separator: ", "))")
            }
            if body.null != nil { continue }
            guard let fields = body.mapping else {
                throw TrialConfigError(place: "\(file):\(line(body))", problem: "section `\(section)` must be a mapping",
                                       fix: "indent its keys under `\(section):`")
            }
            for (k, v) in fields {
                let key = "\(section).\(k.string ?? "")"
                guard setters[key] != nil else {
                    let known = acceptedKeys.filter { $0.hasPrefix(section + ".") }.map { String($0.dropFirst(section.count + 1)) }
                    throw TrialConfigError(place: "\(file):\(line(k))", problem: "unknown key `\(key)`",
                                           fix: "known keys of \(section): \(known.joined(separator: ", "))")
                }
                entries.append(Value(node: v, key: key, place: "\(file):\(line(v))"))
            }
        }
        var preset = Preset.tiny
        if let p = entries.first(where: { $0.key == "model.preset" }), !p.isNull { preset = try p.choice(Preset.self) }
        var config = TrialConfig(preset: presetOverride ?? preset)
        for entry in entries where !entry.isNull {
            try setters[entry.key]!(&config, entry)
        }
        if let bad = config.problem {
            let place = entries.first(where: { $0.key == bad.key || $0.key.hasPrefix(bad.key + ".") })?.place ?? file
            throw TrialConfigError(place: place, problem: "`\(bad.key)` \(bad.message)", fix: "change the value")
        }
        return config
    }

    /// Reads and parses the file at `url`.
    public static func load(_ url: URL, presetOverride: Preset? = nil) throws(TrialConfigError) -> TrialConfig {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw TrialConfigError(place: url.path, problem: "cannot read the trial config (\(error.localizedDescription))",
                                   fix: "check the path")
        }
        return try parse(text, file: url.path, presetOverride: presetOverride)
    }

    private static func line(_ node: Node) -> Int { node.mark?.line ?? 1 }
}
