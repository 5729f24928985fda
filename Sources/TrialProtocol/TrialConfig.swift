import Foundation

/// The worker protocol's version (docs/worker-protocol.md): the trial config, the command line
/// and the lines a worker prints. Bump it with any change to them (3: `model.arch`; 4: the
/// physics distances and the histograms line; 5: `qg.estimator`).
public enum WorkerProtocol {
    public static let version = 5
}

/// The trial config of docs/worker-protocol.md: everything one worker needs. The orchestrator
/// expands a sweep spec into these (every grid value substituted, the preset's counts made
/// explicit, so two specs that mean the same trial hash the same) and writes them to the
/// worker; the trainer reads them back. Optional model fields stay nil = "the preset's value";
/// a regularizer parameter is set exactly when the regularizer uses it.
///
/// Every default lives here: `init(preset:)` is the config of a spec or a `lipsweep train`
/// with nothing set.
public struct TrialConfig: Codable, Hashable, Sendable {
    public struct Dataset: Codable, Hashable, Sendable {
        public var source: DataSource = .simulated
        /// The `.npz` file when source is npz (absolute once a spec is expanded).
        public var path: String?
        public var train: Int
        public var test: Int
        /// Simulator seed and train/test split, shared by the trials of a sweep.
        public var seed: Int = 1
        /// Physics-feature axis offset (docs/science.md §3), cell units.
        public var zOff: Double = Self.defaultZOffset
        /// Readout threshold in GeV for generated events (docs/science.md §2.2).
        public var threshold: Double = Self.defaultReadoutThreshold
        /// The simulated data's: the physics features' axis offset (cells) and the readout
        /// cut (GeV). The simulator, the physics features and `lipsweep evaluate` read them here.
        public static let defaultZOffset = 7.0
        public static let defaultReadoutThreshold = 0.01
        enum CodingKeys: String, CodingKey { case source, path, train, test, seed, zOff = "z_off", threshold }
    }

    public struct Model: Codable, Hashable, Sendable {
        public var preset: Preset
        /// The family; nil is dcgan, so that configs made before the ResNet family existed
        /// keep their hashes (set through TrialKeys, dcgan is stored as nil: one trial, one hash).
        public var arch: Architecture?
        public var dZ: Int?
        public var width: Int?
        public var dWidths: [Int]?
        public var fc: [Int]?
        enum CodingKeys: String, CodingKey { case preset, arch, dZ = "d_z", width, dWidths = "d_widths", fc }

        public init(preset: Preset) { self.preset = preset }

        public var architecture: Architecture { arch ?? .dcgan }

        /// The sizes in force: each override, else the preset's value.
        public var latent: Int { dZ ?? PresetValues(preset).latent }
        public var resolvedWidth: Int { width ?? PresetValues(preset).width }
        public var discriminatorWidths: [Int] { dWidths ?? PresetValues(preset).discriminatorWidths }
        public var fullyConnected: [Int] { fc ?? PresetValues(preset).fullyConnected }
    }

    public struct Training: Codable, Hashable, Sendable {
        public var epochs: Int
        public var batch: Int
        public var loss: AdversarialLoss = .hinge
        /// D steps per G step.
        public var dSteps: Int = 3
        /// α_reg, the weight of the regression loss in D's objective.
        public var alphaReg: Double = 1
        /// γ, Adam's learning rate of both networks (of D alone when lr_g is set).
        public var lr: Double = 1e-3
        public var lrG: Double?
        public var regularizer: RegularizerKind = .sn
        public var margin: Double?
        public var alpha: Double?
        public var lambda: Double?
        /// The trial seed: weights, noise, batch order, k-means.
        public var seed: Int = 1
        /// nil: `defaultDivergenceThreshold`. Omitted from the canonical JSON when nil, so
        /// sweeps made before the option existed keep their config hashes.
        public var divergenceThreshold: Double?
        enum CodingKeys: String, CodingKey {
            case epochs, batch, loss, dSteps = "d_steps", alphaReg = "alpha_reg", lr, lrG = "lr_g"
            case regularizer, margin, alpha, lambda, seed, divergenceThreshold = "divergence_threshold"
        }

        /// A step loss beyond this magnitude ends the trial as diverged (docs/science.md §5).
        public static let defaultDivergenceThreshold = 1e8

        public subscript(parameter: RegularizerParameter) -> Double? {
            get {
                switch parameter {
                case .margin: margin
                case .alpha: alpha
                case .lambda: lambda
                }
            }
            set {
                switch parameter {
                case .margin: margin = newValue
                case .alpha: alpha = newValue
                case .lambda: lambda = newValue
                }
            }
        }

        /// Switches to `kind`: parameters it does not use are cleared, those it uses keep their
        /// value or take their default.
        public mutating func use(_ kind: RegularizerKind) {
            regularizer = kind
            for p in RegularizerParameter.allCases where !kind.uses(p) { self[p] = nil }
            fillRegularizerDefaults()
        }

        /// Each parameter the regularizer uses gets its default when unset.
        public mutating func fillRegularizerDefaults() {
            for p in RegularizerParameter.allCases where regularizer.uses(p) && self[p] == nil { self[p] = p.defaultValue }
        }
    }

    public struct Evaluation: Codable, Hashable, Sendable {
        public var evalEvery: Int = 1
        public var clusters: Int
        public var prdRuns: Int
        enum CodingKeys: String, CodingKey { case evalEvery = "eval_every", clusters, prdRuns = "prd_runs" }
    }

    public struct QG: Codable, Hashable, Sendable {
        /// N_e, the epochs of the quality gain window.
        public var epochs: Int = 30
        public var metric: QualityMetric = .physPRD
        /// nil: `endpoints`, the default. Set through TrialKeys, `endpoints` is stored as nil and
        /// omitted from the canonical JSON, so configs made before the key existed, and every
        /// config that keeps the default, keep their hashes (one trial, one hash).
        public var estimator: QGEstimator?

        /// The estimator in force.
        public var qgEstimator: QGEstimator { estimator ?? .endpoints }
    }

    public var dataset: Dataset
    public var model: Model
    public var training: Training
    public var evaluation: Evaluation
    public var qg: QG

    /// The preset of a spec, a trial config or `lipsweep train` that names none.
    public static let defaultPreset = Preset.tiny

    /// The config with nothing set: the preset's counts and the defaults above.
    public init(preset: Preset = defaultPreset) {
        let p = PresetValues(preset)
        dataset = Dataset(train: p.trainEvents, test: p.testEvents)
        model = Model(preset: preset)
        training = Training(epochs: p.epochs, batch: p.batch)
        training.fillRegularizerDefaults()
        evaluation = Evaluation(clusters: p.clusters, prdRuns: p.prdRuns)
        qg = QG()
    }

    /// Canonical JSON: sorted keys, no whitespace, nil fields omitted. The orchestrator's
    /// config hash is the SHA-256 of these bytes, so it changes exactly when a value the
    /// worker sees changes.
    public var canonicalJSON: Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try! encoder.encode(self)   // plain structs of numbers and strings always encode
    }

    /// The file the worker reads (`--config`): pretty JSON, which is valid YAML.
    public var workerFileText: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: try! encoder.encode(self), as: UTF8.self) + "\n"
    }
}
