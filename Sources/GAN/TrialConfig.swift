import Calo
import Foundation
import Tensor

/// Where the events come from (trial config `dataset.source`).
public enum DataSource: String, Codable, Sendable, CaseIterable {
    /// The built-in shower simulator (SPEC §2.1).
    case simulated
    /// An LHCb-format `.npz` file (`dataset.path`).
    case npz
}

/// The series the quality gain is computed on (`qg.metric`).
public enum QualityMetric: String, Codable, Sendable, CaseIterable {
    case physPRD = "phys_prd", rawPRD = "raw_prd"
}

/// Everything one trial needs: the trial config of docs/worker-protocol.md, every value
/// concrete (preset defaults already applied).
public struct TrialConfig: Codable, Sendable, Equatable {
    public struct Dataset: Codable, Sendable, Equatable {
        public var source: DataSource = .simulated
        public var path: String?
        public var train: Int
        public var test: Int
        /// Simulator seed and train/test split, shared by the trials of a sweep.
        public var seed: UInt64 = 1
        /// Physics-feature axis offset (SPEC §3), cell units.
        public var zOffset: Double = Double(PhysicsFeatures.defaultZOffset)
        /// Readout threshold in GeV for generated events (SPEC §2.2).
        public var threshold: Double = Double(ShowerSimulator.readoutThreshold)
    }
    public struct Evaluation: Codable, Sendable, Equatable {
        public var evalEvery: Int = 1
        public var clusters: Int
        public var prdRuns: Int
    }
    public struct QualityGainSettings: Codable, Sendable, Equatable {
        public var epochs: Int = 30
        public var metric: QualityMetric = .physPRD
    }

    public var dataset: Dataset
    public var preset: Preset
    public var model: ModelConfig
    public var epochs: Int
    public var training: TrainingOptions
    public var evaluation: Evaluation
    public var qualityGain: QualityGainSettings

    /// The preset's defaults with the worker protocol's defaults for everything else
    /// (hinge loss and regularizer, m = 2, α = 1, λ = 0.3, γ = 1e-3, d_steps 3, seeds 1).
    public init(preset: Preset = .tiny) {
        let p = PresetDefaults(preset)
        self.preset = preset
        dataset = Dataset(train: p.trainEvents, test: p.testEvents)
        model = ModelConfig(preset: preset)
        epochs = p.epochs
        training = TrainingOptions(batch: p.batch)
        evaluation = Evaluation(clusters: p.clusters, prdRuns: p.prdRuns)
        qualityGain = QualityGainSettings()
    }

    /// The first problem with the values, as (key, problem), or nil.
    public var problem: (key: String, message: String)? {
        if dataset.source == .npz && dataset.path == nil { return ("dataset.path", "source npz needs a path to the .npz file") }
        if dataset.train < 1 { return ("dataset.train", "must be ≥ 1 (got \(dataset.train))") }
        if dataset.test < 1 { return ("dataset.test", "must be ≥ 1 (got \(dataset.test))") }
        if !(dataset.zOffset.isFinite) { return ("dataset.z_off", "must be a finite number") }
        if !(dataset.threshold >= 0 && dataset.threshold.isFinite) { return ("dataset.threshold", "must be ≥ 0 (got \(dataset.threshold))") }
        if let m = model.problem { return ("model", m) }
        if epochs < 1 { return ("training.epochs", "must be ≥ 1 (got \(epochs))") }
        if training.batch < 1 { return ("training.batch", "must be ≥ 1 (got \(training.batch))") }
        if training.batch > dataset.train {
            return ("training.batch", "batch \(training.batch) is larger than the \(dataset.train) training events")
        }
        if training.discriminatorSteps < 1 { return ("training.d_steps", "must be ≥ 1 (got \(training.discriminatorSteps))") }
        if !(training.regressionWeight >= 0 && training.regressionWeight.isFinite) { return ("training.alpha_reg", "must be ≥ 0") }
        if !(training.learningRate > 0 && training.learningRate.isFinite) { return ("training.lr", "must be > 0 (got \(training.learningRate))") }
        if let g = training.generatorLearningRate, !(g > 0 && g.isFinite) { return ("training.lr_g", "must be > 0 (got \(g))") }
        if !(training.divergenceThreshold > 0) {
            return ("training.divergence_threshold", "must be > 0 (got \(training.divergenceThreshold))")
        }
        let r = training.regularizer
        if !(r.margin > 0 && r.margin.isFinite) { return ("training.margin", "must be > 0 (got \(r.margin))") }
        if !(r.alpha >= 0 && r.alpha.isFinite) { return ("training.alpha", "must be ≥ 0 (got \(r.alpha))") }
        if !(r.lambda >= 0 && r.lambda.isFinite) { return ("training.lambda", "must be ≥ 0 (got \(r.lambda))") }
        if evaluation.evalEvery < 1 { return ("evaluation.eval_every", "must be ≥ 1 (got \(evaluation.evalEvery))") }
        if evaluation.clusters < 1 { return ("evaluation.clusters", "must be ≥ 1 (got \(evaluation.clusters))") }
        if evaluation.prdRuns < 1 { return ("evaluation.prd_runs", "must be ≥ 1 (got \(evaluation.prdRuns))") }
        if qualityGain.epochs < 2 { return ("qg.epochs", "must be ≥ 2 (got \(qualityGain.epochs))") }
        return nil
    }
}

/// A trial config that cannot be used: `<file>:<line>: <problem>; <fix>` (or the option name
/// for command-line values).
public struct TrialConfigError: UserInputError, Equatable {
    public var place: String
    public var problem: String
    public var fix: String
    public init(place: String, problem: String, fix: String) {
        self.place = place; self.problem = problem; self.fix = fix
    }
    public var description: String { "\(place): \(problem); \(fix)" }
}
