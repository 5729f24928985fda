/// One key of the trial config: its name (`section.key`, the same in a sweep spec, a trial
/// config file and the database's `params_json`), its `lipsweep train` option, help text,
/// value kind, whether a sweep may vary it in `grid:`, and how it sets a config.
public struct TrialKey: Sendable {
    public let name: String
    /// `lipsweep train --<option> VALUE`.
    public let option: String
    public let help: String
    public let kind: ValueKind
    /// A sweep's `grid:` may list several values (the axis is named after `key`).
    public let isGridAxis: Bool
    let assign: @Sendable (inout TrialConfig, TrialValue) -> Void

    public var section: String { String(name.prefix { $0 != "." }) }
    /// The name within its section.
    public var key: String { String(name.drop { $0 != "." }.dropFirst()) }

    public func apply(_ value: TrialValue, to config: inout TrialConfig) { assign(&config, value) }
}

/// Every key of the trial config, in the order `lipsweep train --help` lists them. This table
/// is the one definition of the keys: the sweep spec's sections, the trainer's config file and
/// `lipsweep train`'s options are all read through it; defaults are `TrialConfig(preset:)`'s.
public enum TrialKeys {
    public static let all: [TrialKey] = [
        key("model.preset", "preset", "Model preset (sizes and counts of docs/science.md §4); read before every other key.",
            .word(Preset.allCases.map(\.rawValue))) { c, v in
                // Setting the preset resets every count the preset decides.
                let p = Preset(rawValue: v.word)!
                let values = PresetValues(p)
                c.model.preset = p
                c.dataset.train = values.trainEvents; c.dataset.test = values.testEvents
                c.training.epochs = values.epochs; c.training.batch = values.batch
                c.evaluation.clusters = values.clusters; c.evaluation.prdRuns = values.prdRuns
            },
        key("model.arch", "arch", "Model family: dcgan (docs/science.md §4) or resnet (§4.1) (default dcgan).",
            .word(Architecture.allCases.map(\.rawValue)), axis: true) { c, v in
                let arch = Architecture(rawValue: v.word)!
                c.model.arch = arch == .dcgan ? nil : arch
            },
        key("model.d_z", "d-z", "Latent dimension d_z of G (default: the preset's).", .integer(min: 1)) { $0.model.dZ = $1.int },
        key("model.width", "width", "G's convolution width C, even (default: the preset's).", .integer(min: 2)) { $0.model.width = $1.int },
        key("model.d_widths", "d-widths", "D's five conv widths w1..w5, comma-separated (default: the preset's).",
            .integers(count: 5)) { $0.model.dWidths = $1.ints },
        key("model.fc", "fc", "D's two hidden FC widths f1,f2 (default: the preset's).", .integers(count: 2)) { $0.model.fc = $1.ints },

        key("dataset.source", "source", "simulated (the built-in simulator) or npz (default: npz when a path is given).",
            .word(DataSource.allCases.map(\.rawValue))) { $0.dataset.source = DataSource(rawValue: $1.word)! },
        key("dataset.path", "data", "LHCb-format .npz events (sets the source to npz).", .path) { $0.dataset.path = $1.word },
        key("dataset.train", "train-events", "Training events (default: the preset's).", .integer(min: 1)) { $0.dataset.train = $1.int },
        key("dataset.test", "test-events", "Held-out test events (default: the preset's).", .integer(min: 1)) { $0.dataset.test = $1.int },
        key("dataset.seed", "data-seed", "Simulator seed and train/test split (default 1).", .integer(min: 0)) { $0.dataset.seed = $1.int },
        key("dataset.z_off", "z-off", "Physics-feature axis offset in cell units (default 7).", .number(.finite)) { $0.dataset.zOff = $1.double },
        key("dataset.threshold", "threshold", "Readout threshold in GeV for generated events (default 0.01).",
            .number(.nonNegative)) { $0.dataset.threshold = $1.double },

        key("training.epochs", "epochs", "Epochs (default: the preset's).", .integer(min: 1)) { $0.training.epochs = $1.int },
        key("training.loss", "loss", "Adversarial loss (default hinge).", .word(AdversarialLoss.allCases.map(\.rawValue)), axis: true) {
            $0.training.loss = AdversarialLoss(rawValue: $1.word)!
        },
        key("training.lr", "lr", "Learning rate γ of both networks (default 1e-3).", .number(.positive), axis: true) { $0.training.lr = $1.double },
        key("training.lr_g", "lr-g", "Learning rate of G, overriding lr for G.", .number(.positive), axis: true) { $0.training.lrG = $1.double },
        key("training.alpha_reg", "alpha-reg", "Weight α_reg of the regression loss (default 1).", .number(.nonNegative), axis: true) {
            $0.training.alphaReg = $1.double
        },
        key("training.batch", "batch", "Batch size (default: the preset's).", .integer(min: 1), axis: true) { $0.training.batch = $1.int },
        key("training.d_steps", "d-steps", "D steps per G step (default 3).", .integer(min: 1), axis: true) { $0.training.dSteps = $1.int },
        key("training.regularizer", "regularizer", "Lipschitz regularizer (default sn).",
            .word(RegularizerKind.allCases.map(\.rawValue)), axis: true) {
                $0.training.regularizer = RegularizerKind(rawValue: $1.word)!
            },
        key("training.margin", "margin", "Soft margin m of hinge (default 2).", .number(.positive), axis: true) { $0.training.margin = $1.double },
        key("training.alpha", "alpha", "α of alpha-k, l2, linf and hinge (default 1).", .number(.nonNegative), axis: true) {
            $0.training.alpha = $1.double
        },
        key("training.lambda", "lambda", "λ of lecam (default 0.3).", .number(.nonNegative), axis: true) { $0.training.lambda = $1.double },
        key("training.seed", "seed", "Trial seed: weights, noise, batch order, k-means (default 1).", .integer(min: 0)) {
            $0.training.seed = $1.int
        },
        key("training.divergence_threshold", "divergence-threshold",
            "A step loss beyond this magnitude ends the trial as diverged (default 1e8; non-finite always does).",
            .number(.positive)) { $0.training.divergenceThreshold = $1.double },

        key("evaluation.eval_every", "eval-every", "Evaluate every N epochs (default 1).", .integer(min: 1)) {
            $0.evaluation.evalEvery = $1.int
        },
        key("evaluation.clusters", "clusters", "k-means clusters of the PRD (default: the preset's).", .integer(min: 1)) {
            $0.evaluation.clusters = $1.int
        },
        key("evaluation.prd_runs", "prd-runs", "Clusterings averaged per PRD (default: the preset's).", .integer(min: 1)) {
            $0.evaluation.prdRuns = $1.int
        },
        key("qg.epochs", "qg-epochs", "N_e, the epochs of the quality gain (default 30).", .integer(min: 2)) { $0.qg.epochs = $1.int },
        key("qg.metric", "qg-metric", "The series QG is computed on (default phys_prd).",
            .word(QualityMetric.allCases.map(\.rawValue))) { $0.qg.metric = QualityMetric(rawValue: $1.word)! },
        key("qg.estimator", "qg-estimator",
            "Which QG every decision uses: endpoints (paper eq. 11, the default) or slope (least-squares slope over the window).",
            .word(QGEstimator.allCases.map(\.rawValue))) { c, v in
                let estimator = QGEstimator(rawValue: v.word)!
                c.qg.estimator = estimator == .endpoints ? nil : estimator
            },
    ]

    private static let byName = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })
    private static let byOption = Dictionary(uniqueKeysWithValues: all.map { ($0.option, $0) })

    public static func named(_ name: String) -> TrialKey? { byName[name] }
    public static func option(_ option: String) -> TrialKey? { byOption[option] }

    /// The sections, in file order.
    public static var sections: [String] { all.map(\.section).reduce(into: []) { if !$0.contains($1) { $0.append($1) } } }
    /// The keys of one section, in table order.
    public static func keys(of section: String) -> [TrialKey] { all.filter { $0.section == section } }
    /// The keys a sweep's `grid:` may vary, by their short name (`lr`, `regularizer`, …), in
    /// the order a grid nests them (the first varies slowest).
    public static var gridAxes: [TrialKey] { all.filter(\.isGridAxis) }

    private static func key(_ name: String, _ option: String, _ help: String, _ kind: ValueKind, axis: Bool = false,
                            _ assign: @escaping @Sendable (inout TrialConfig, TrialValue) -> Void) -> TrialKey {
        TrialKey(name: name, option: option, help: help, kind: kind, isGridAxis: axis, assign: assign)
    }
}
