import ArgumentParser
import Calo
import Foundation
import GAN
import Tensor
import TrialProtocol
import UserErrors

/// `lipsweep score`: one epoch's metrics of events a trainer of the user's own generated, on
/// one JSON line, computed exactly as `lipsweep train` evaluates that epoch (GAN's
/// GeneratedEventsScore). python/lipsweep_worker calls it every epoch.
struct ScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score one epoch's generated events of a trial with the trial's own metrics; one JSON line.",
        discussion: """
            --generated holds EnergyDeposit (N×30×30, GeV): one event per held-out event of the trial, \
            for its conditions, in test.npz's order (ParticleMomentum and ParticlePoint may be included \
            and must then equal test.npz's). The events are scored against the trial's held-out events \
            with its `evaluation:` settings and the epoch's seed, as `lipsweep train` scores that epoch: \
            RAW and Physical PRD, FPD, KPD, KID and the W1 distances. Prints {"type":"score",…} with \
            the epoch line's fields raw_prd … w1_sparsity and eval_seconds, and the seeds, so that \
            `lipsweep evaluate` can reproduce each number; --histograms adds the histograms line \
            (docs/worker-protocol.md) of these events.
            """)

    @Option(help: "The trial config (YAML or JSON; the trial.json a sweep's scheduler writes).")
    var config: String
    @Option(help: "The generated events, .npz.")
    var generated: String
    @Option(help: "The epoch (1, 2, …): it sets the evaluation's seed.")
    var epoch: Int
    @Option(help: "The directory `lipsweep data` wrote for this trial (default: make the events again from the config).")
    var data: String?
    @OptionGroup var threadsOption: ThreadsOption
    @Flag(help: "Also print the histograms line of these events.")
    var histograms = false

    func validate() throws {
        guard epoch >= 1 else { throw ValidationError("--epoch \(epoch): epochs count from 1") }
    }

    func run() throws {
        let settings = TrialSettings(try TrialConfigOption.load(config))
        guard epoch <= settings.epochs else {
            throw InvalidInput("--epoch \(epoch): the trial in \(config) has \(settings.epochs) epochs; give 1…\(settings.epochs)")
        }
        BLAS.threads = threadsOption.threads
        let trialData = try data.map { try TrialEventFiles.read(from: URL(fileURLWithPath: $0), zOffset: Float(settings.dataset.zOffset)) }
            ?? TrialData.load(settings, threads: threadsOption.threads)
        let energy = try Self.generatedEnergy(generated, test: trialData.test)
        let score = try GeneratedEventsScore.score(energy, epoch: epoch, settings: settings, data: trialData)
        print(score.jsonLine)
        if histograms { print(score.histograms.jsonLine(epoch: epoch)) }
    }

    /// EnergyDeposit of `path`, refused unless it is one finite event per test event (and its
    /// conditions, when given, are the test events').
    static func generatedEnergy(_ path: String, test: CaloEvents) throws -> [Float] {
        let arrays = try CaloNPZ.readArrays(URL(fileURLWithPath: path))
        let n = test.count
        guard let energy = arrays[CaloNPZ.energyKey] else {
            throw CaloFileError(file: path, key: CaloNPZ.energyKey, problem: "missing (the file holds: \(arrays.keys.sorted().joined(separator: ", ")))",
                                fix: "save the generated events under EnergyDeposit, shape (\(n), 30, 30)")
        }
        guard energy.shape == [n, CaloGrid.side, CaloGrid.side] else {
            throw CaloFileError(file: path, key: CaloNPZ.energyKey,
                                problem: "has shape \(NPYArray.shapeText(energy.shape)), expected (\(n), 30, 30)",
                                fix: "generate one event per held-out event of the trial (test.npz), in its order")
        }
        if let i = energy.values.firstIndex(where: { !$0.isFinite }) {
            throw CaloFileError(file: path, key: CaloNPZ.energyKey, problem: "event \(i / CaloGrid.cells) holds \(energy.values[i])",
                                fix: "give finite energies (a generator that produces NaN or ∞ has diverged)")
        }
        for (key, given, width) in [(CaloNPZ.momentumKey, test.momentum, 3), (CaloNPZ.pointKey, test.point, 2)] {
            guard let array = arrays[key] else { continue }
            let values = array.shape.count == 2 && array.shape[1] > width
                ? (0..<array.shape[0]).flatMap { e in array.values[(e * array.shape[1])..<(e * array.shape[1] + width)] } : array.values
            if values != given {
                let first = zip(values, given).enumerated().first { $0.element.0 != $0.element.1 }.map { $0.offset / width }
                throw CaloFileError(file: path, key: key,
                                    problem: first.map { "differs from the trial's held-out events at event \($0)" } ?? "has another shape than the held-out events'",
                                    fix: "generate for test.npz's conditions, in its order (or leave \(key) out)")
            }
        }
        return energy.values
    }
}
