import Foundation
import GAN
import Tensor
import TrialProtocol

/// Small trial configs for the training tests (release mode): tiny preset, few events, cheap PRD.
enum TrialFixtures {
    static func config(regularizer: RegularizerKind = .sn, train: Int = 256, test: Int = 200, epochs: Int = 6,
                       lr: Double = 1e-3, seed: Int = 1) -> TrialConfig {
        // One BLAS thread for every trainer and evaluator of the suite: suites run in parallel
        // and OpenBLAS's thread count is process-wide; outside a trial's own task-local count
        // (WorkSplit.withOwnThreads) the layers split their work by it, so a count left at
        // OpenBLAS's default (one per core) could make a bit-exact test beside it (resume, the
        // pinned DCGAN) split and sum its work differently. `make test` starts OpenBLAS at one.
        BLAS.threads = 1
        var c = TrialConfig(preset: .tiny)
        c.dataset.train = train; c.dataset.test = test
        c.training.epochs = epochs
        c.training.lr = lr
        c.training.use(regularizer)
        c.training.seed = seed
        c.evaluation.clusters = 10; c.evaluation.prdRuns = 1
        return c
    }

    static func temporaryDirectory(_ name: String) -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("lipsweep-gan-tests-\(getpid())-\(name)-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The trainer of `config`, on its training data.
    static func trainer(_ config: TrialConfig) throws -> GANTrainer {
        let settings = TrialSettings(config)
        let data = try TrialData.load(settings)
        return GANTrainer(model: settings.model, options: settings.training, data: data.training)
    }

    /// Runs a trial and returns its epoch records (decoded from the emitted lines) and outcome.
    static func run(_ config: TrialConfig, directory: URL? = nil, resume: Bool = false,
                    stopAfter: Int? = nil) throws -> (lines: [String], outcome: TrialOutcome?) {
        var lines: [String] = []
        let outcome = try TrialRunner(config: config, checkpointDirectory: directory, threads: 1)
            .run(resume: resume, stopAfter: stopAfter, emit: { lines.append($0) })
        return (lines, outcome)
    }

    /// The epoch lines' JSON objects.
    static func objects(_ lines: [String]) -> [[String: Any]] {
        lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }
}
