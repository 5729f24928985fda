import Foundation
import TrialProtocol

/// A trial config (TrialProtocol's, the worker protocol's one definition) as the trainer
/// uses it: network sizes resolved against the preset, the regularizer with its strengths,
/// seeds as the random streams take them. No defaults and no checks of its own: those are the
/// config's; a value that seems to be missing here comes from `TrialConfig(preset:)`.
public struct TrialSettings: Sendable, Equatable {
    public struct Dataset: Sendable, Equatable {
        public var source: DataSource
        public var path: String?
        public var train: Int
        public var test: Int
        public var seed: UInt64
        /// Physics-feature axis offset (docs/science.md §3), cell units.
        public var zOffset: Double
        /// Readout threshold in GeV for generated events (docs/science.md §2.2).
        public var threshold: Double
    }
    public struct Evaluation: Sendable, Equatable {
        public var evalEvery: Int
        public var clusters: Int
        public var prdRuns: Int
    }
    public struct QualityGainSettings: Sendable, Equatable {
        public var epochs: Int
        public var metric: QualityMetric
    }

    /// The config this was resolved from: what a checkpoint records and compares on resume.
    public var config: TrialConfig
    public var dataset: Dataset
    public var preset: Preset { config.model.preset }
    public var model: ModelConfig
    public var epochs: Int
    public var training: TrainingOptions
    public var evaluation: Evaluation
    public var qualityGain: QualityGainSettings

    public init(_ config: TrialConfig) {
        self.config = config
        let d = config.dataset
        dataset = Dataset(source: d.source, path: d.path, train: d.train, test: d.test, seed: UInt64(d.seed),
                          zOffset: d.zOff, threshold: d.threshold)
        model = ModelConfig(config.model)
        epochs = config.training.epochs
        let t = config.training
        // A parameter the regularizer does not use is nil in the config and unused here.
        func strength(_ p: RegularizerParameter) -> Double { t[p] ?? p.defaultValue }
        training = TrainingOptions(batch: t.batch, loss: t.loss, discriminatorSteps: t.dSteps, regressionWeight: t.alphaReg,
                                   learningRate: t.lr, generatorLearningRate: t.lrG,
                                   regularizer: Regularizer(kind: t.regularizer, alpha: strength(.alpha), margin: strength(.margin),
                                                            lambda: strength(.lambda)),
                                   seed: UInt64(t.seed),
                                   divergenceThreshold: t.divergenceThreshold ?? TrialConfig.Training.defaultDivergenceThreshold)
        evaluation = Evaluation(evalEvery: config.evaluation.evalEvery, clusters: config.evaluation.clusters,
                                prdRuns: config.evaluation.prdRuns)
        qualityGain = QualityGainSettings(epochs: config.qg.epochs, metric: config.qg.metric)
    }

    /// The settings of a config with nothing set (tests, benchmarks).
    public init(preset: Preset = TrialConfig.defaultPreset) { self.init(TrialConfig(preset: preset)) }
}
