import ArgumentParser
import Foundation
import GAN

/// `lipsweep train`: one trial of the embedded GAN trainer — the worker of
/// docs/worker-protocol.md. JSON lines on stdout, human progress on stderr.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train the conditional calorimeter GAN (one trial); JSON lines on stdout.",
        discussion: """
        Settings come from the preset, then --config FILE.yaml (the trial config of \
        docs/worker-protocol.md), then the options given here. stdout carries one JSON line per \
        epoch and a final `end` line; progress goes to stderr. Exit 0 when the trial ended \
        (completed or diverged), 2 for an invalid config, 1 for a runtime failure.
        """)

    @Option(help: "Trial config (YAML or JSON) with sections dataset, model, training, evaluation, qg.")
    var config: String?
    @Option(help: "Model preset: tiny, small or paper.")
    var preset: String?
    @Option(help: "Model family: dcgan or resnet.")
    var arch: String?
    @Option(help: "none, sn, alpha-k, l2, linf, hinge or lecam.")
    var regularizer: String?
    @Option(help: "Soft margin m of the hinge regularizer.")
    var margin: Double?
    @Option(help: "α of alpha-k, l2, linf and hinge.")
    var alpha: Double?
    @Option(name: .customLong("lambda"), help: "λ of lecam.")
    var lambdaValue: Double?
    @Option(help: "Adversarial loss: bce, hinge, ls or wasserstein.")
    var loss: String?
    @Option(help: "Learning rate γ of both networks.")
    var lr: Double?
    @Option(name: .customLong("lr-g"), help: "Learning rate of G (overrides --lr for G).")
    var lrG: Double?
    @Option(help: "Epochs.")
    var epochs: Int?
    @Option(help: "Batch size.")
    var batch: Int?
    @Option(name: .customLong("d-steps"), help: "D steps per G step.")
    var dSteps: Int?
    @Option(name: .customLong("alpha-reg"), help: "Weight α_reg of the regression loss.")
    var alphaReg: Double?
    @Option(name: .customLong("divergence-threshold"),
            help: "A step loss beyond this magnitude ends the trial as diverged (default 1e8; non-finite always does).")
    var divergenceThreshold: Double?
    @Option(help: "Trial seed (weights, noise, batch order, k-means).")
    var seed: UInt64?
    @Option(help: "OpenBLAS threads (1 gives bit-reproducible numbers).")
    var threads: Int = 1
    @Option(name: .customLong("train-events"), help: "Training events.")
    var trainEvents: Int?
    @Option(name: .customLong("test-events"), help: "Held-out test events.")
    var testEvents: Int?
    @Option(help: "LHCb-format .npz data (default: the built-in simulator).")
    var data: String?
    @Option(name: .customLong("data-seed"), help: "Simulator seed and train/test split.")
    var dataSeed: UInt64?
    @Option(name: .customLong("z-off"), help: "Physics-feature axis offset (cell units).")
    var zOff: Double?
    @Option(help: "Readout threshold in GeV for generated events.")
    var threshold: Double?
    @Option(name: .customLong("eval-every"), help: "Evaluate every N epochs.")
    var evalEvery: Int?
    @Option(help: "k-means clusters of the PRD.")
    var clusters: Int?
    @Option(name: .customLong("prd-runs"), help: "Clusterings averaged per PRD.")
    var prdRuns: Int?
    @Option(name: .customLong("qg-epochs"), help: "N_e, the epochs of the quality gain.")
    var qgEpochs: Int?
    @Option(name: .customLong("qg-metric"), help: "phys_prd or raw_prd.")
    var qgMetric: String?
    @Option(name: .customLong("checkpoint-dir"), help: "Directory of the checkpoint written after every epoch.")
    var checkpointDir: String?
    @Flag(help: "Continue from the checkpoint in --checkpoint-dir if there is one.")
    var resume = false

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be ≥ 1, got \(threads)") }
        if resume && checkpointDir == nil { throw ValidationError("--resume needs --checkpoint-dir DIR") }
    }

    /// Preset, then the config file, then the command line.
    func trialConfig() throws -> TrialConfig {
        func choice<T: RawRepresentable & CaseIterable>(_ value: String?, _ option: String, _: T.Type) throws -> T?
        where T.RawValue == String {
            guard let value else { return nil }
            guard let v = T(rawValue: value) else {
                throw ValidationError("--\(option) \(value): use one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return v
        }
        let presetOverride = try choice(preset, "preset", Preset.self)
        var c = try config.map { try TrialConfigYAML.load(URL(fileURLWithPath: $0), presetOverride: presetOverride) }
            ?? TrialConfig(preset: presetOverride ?? .tiny)
        if let v = try choice(arch, "arch", Architecture.self) { c.model.architecture = v }
        if let v = try choice(regularizer, "regularizer", RegularizerKind.self) { c.training.regularizer.kind = v }
        if let v = margin { c.training.regularizer.margin = v }
        if let v = alpha { c.training.regularizer.alpha = v }
        if let v = lambdaValue { c.training.regularizer.lambda = v }
        if let v = try choice(loss, "loss", AdversarialLoss.self) { c.training.loss = v }
        if let v = lr { c.training.learningRate = v }
        if let v = lrG { c.training.generatorLearningRate = v }
        if let v = epochs { c.epochs = v }
        if let v = batch { c.training.batch = v }
        if let v = dSteps { c.training.discriminatorSteps = v }
        if let v = alphaReg { c.training.regressionWeight = v }
        if let v = seed { c.training.seed = v }
        if let v = divergenceThreshold { c.training.divergenceThreshold = v }
        if let v = trainEvents { c.dataset.train = v }
        if let v = testEvents { c.dataset.test = v }
        if let v = data { c.dataset.source = .npz; c.dataset.path = v }
        if let v = dataSeed { c.dataset.seed = v }
        if let v = zOff { c.dataset.zOffset = v }
        if let v = threshold { c.dataset.threshold = v }
        if let v = evalEvery { c.evaluation.evalEvery = v }
        if let v = clusters { c.evaluation.clusters = v }
        if let v = prdRuns { c.evaluation.prdRuns = v }
        if let v = qgEpochs { c.qualityGain.epochs = v }
        if let v = try choice(qgMetric, "qg-metric", QualityMetric.self) { c.qualityGain.metric = v }
        if let bad = c.problem {
            throw TrialConfigError(place: config ?? "command line", problem: "`\(bad.key)` \(bad.message)",
                                   fix: "change the option or the config value")
        }
        return c
    }

    func run() throws {
        let trial = try trialConfig()
        let runner = TrialRunner(config: trial, checkpointDirectory: checkpointDir.map { URL(fileURLWithPath: $0) },
                                 threads: threads)
        try runner.run(resume: resume, emit: { line in
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
        }, progress: { text in
            FileHandle.standardError.write(Data(("lipsweep train: " + text + "\n").utf8))
        })
    }
}
