import ArgumentParser
import Foundation
import GAN
import Tensor
import TrialProtocol

/// `lipsweep data`: a trial's events as train.npz and test.npz, for a trainer of the user's
/// own (docs/worker-protocol.md, "A worker of your own"; python/lipsweep_worker calls it once
/// per trial). The events and split are the embedded trainer's (GAN's TrialEventFiles).
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Write a trial's training and held-out events (train.npz, test.npz) for a trainer of your own.",
        discussion: """
            The events and the split are exactly those `lipsweep train` trains and scores on. Both \
            files hold EnergyDeposit (N×30×30, GeV), ParticleMomentum (N×3), ParticlePoint (N×2) and \
            Conditions (N×5: px, py, pz, x0, y0 standardised with the training set's mean and sd); \
            train.npz also Asymmetries (N×2: the regressor's targets). All float32.
            """)

    @Option(help: "The trial config (YAML or JSON; the trial.json a sweep's scheduler writes).")
    var config: String
    @Option(name: .shortAndLong, help: "Directory to write train.npz and test.npz into (created if missing).")
    var output: String
    @OptionGroup var threadsOption: ThreadsOption

    func run() throws {
        let settings = TrialSettings(try TrialConfigOption.load(config))
        let counts = try TrialEventFiles.write(settings, to: URL(fileURLWithPath: output), threads: threadsOption.threads)
        print("\(output)/\(TrialEventFiles.trainFile): \(counts.train) events; \(output)/\(TrialEventFiles.testFile): \(counts.test) events")
    }
}

/// `--config FILE` of `data` and `score`: a whole trial config, read and checked as
/// `lipsweep train --config` reads it.
enum TrialConfigOption {
    static func load(_ path: String) throws -> TrialConfig {
        var builder = TrialConfigBuilder(defaultPlace: path)
        try TrialConfigFile.read(try TrialConfigFile.load(path), file: path, into: &builder)
        return try builder.build()
    }
}
