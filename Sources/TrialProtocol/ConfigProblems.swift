/// One reason a trial config cannot run: the key to blame (for the place in a message), what
/// is wrong and the fix.
public struct ConfigProblem: Equatable, Sendable, CustomStringConvertible {
    public var key: String
    /// Other keys whose values take part (a message points at whichever was given).
    public var related: [String] = []
    public var problem: String
    public var fix: String
    /// The trial cannot run at all (false: it runs, but a sweep would get nothing from it —
    /// no QG — so a sweep refuses it while a lone `lipsweep train` lets it run).
    public var stopsTheTrial: Bool
    public init(key: String, related: [String] = [], problem: String, fix: String, stopsTheTrial: Bool = true) {
        self.key = key; self.related = related; self.problem = problem; self.fix = fix; self.stopsTheTrial = stopsTheTrial
    }

    /// The key, then the related ones, then the preset (which sets the counts).
    public var blamedKeys: [String] { [key] + related + ["model.preset"] }
    public var description: String { "`\(key)`: \(problem); \(fix)" }
}

extension TrialConfig {
    /// Everything that would make this trial fail inside a worker or do nothing, found by
    /// looking at the config alone (the values' own ranges are checked as they are read,
    /// TrialKeys): the relations between values. A data file is checked by its reader.
    public var problems: [ConfigProblem] {
        var out: [ConfigProblem] = []
        func add(_ key: String, _ problem: String, _ fix: String, related: [String] = [], stops: Bool = true) {
            out.append(ConfigProblem(key: key, related: related, problem: problem, fix: fix, stopsTheTrial: stops))
        }
        switch (dataset.source, dataset.path) {
        case (.npz, nil): add("dataset.path", "source npz needs a path to a .npz file", "add `path: events.npz` under dataset",
                              related: ["dataset.source"])
        case (.simulated, _?): add("dataset.path", "a path is given but source is simulated", "set `source: npz` or remove the path",
                                   related: ["dataset.source"])
        default: break
        }
        if training.batch > dataset.train {
            add("training.batch", "a batch of \(training.batch) is larger than the \(dataset.train) training events",
                "lower training.batch or raise dataset.train to at least \(training.batch)", related: ["dataset.train"])
        }
        if evaluation.clusters > dataset.test {
            add("evaluation.clusters", "\(evaluation.clusters) k-means clusters are more than the \(dataset.test) test events",
                "lower evaluation.clusters or raise dataset.test to at least \(evaluation.clusters)", related: ["dataset.test"])
        }
        if qg.epochs > training.epochs {
            add("qg.epochs", "the QG window of \(qg.epochs) epochs is longer than the \(training.epochs) training epochs",
                "raise training.epochs to at least \(qg.epochs) or lower qg.epochs", related: ["training.epochs"], stops: false)
        }
        if model.resolvedWidth % 2 != 0 {
            add("model.width", "G's width must be even (its last conv has width/2 channels), got \(model.resolvedWidth)",
                "give an even number such as 16")
        }
        for p in RegularizerParameter.allCases {
            let used = training.regularizer.uses(p)
            if !used, training[p] != nil {
                add("training.\(p.rawValue)", "\(training.regularizer.rawValue) does not use \(p.rawValue) (\(p.usersText))",
                    "remove it or choose such a regularizer", related: ["training.regularizer"])
            } else if used, training[p] == nil {
                add("training.\(p.rawValue)", "the \(training.regularizer.rawValue) regularizer needs a \(p.rawValue)",
                    "give one, e.g. \(p.rawValue): \(p.defaultValue)", related: ["training.regularizer"])
            }
        }
        return out
    }
}
