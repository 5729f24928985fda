import ArgumentParser
import Calo
import Foundation
import GAN
import Tensor
import UserErrors

/// `lipsweep generate`: the fitted generator as a fast simulator — one event per condition of
/// an .npz file (its ParticleMomentum and ParticlePoint; EnergyDeposit is ignored).
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate showers with a trained generator for the conditions of an .npz file.")

    @Option(help: "Checkpoint directory written by `lipsweep train`.")
    var checkpoint: String
    @Option(help: "LHCb-format .npz whose ParticleMomentum/ParticlePoint are the conditions.")
    var conditions: String
    @Option(name: .shortAndLong, help: "Output .npz (EnergyDeposit generated, conditions copied).")
    var output: String
    @Option(help: "Noise seed (same seed → same events with one thread).")
    var seed: UInt64 = 1
    @OptionGroup var threadsOption: ThreadsOption

    func validate() throws {
        guard output.hasSuffix(".npz") else { throw ValidationError("--output \(output): the file name must end in .npz") }
    }

    func run() throws {
        BLAS.threads = threadsOption.threads
        let dir = URL(fileURLWithPath: checkpoint)
        guard let saved = try Checkpoint.read(from: dir) else {
            throw InvalidInput("\(Checkpoint.url(in: dir).path): no checkpoint there; give the --checkpoint-dir of a `lipsweep train` run")
        }
        let events = try CaloNPZ.read(URL(fileURLWithPath: conditions))
        let start = Date()
        let generated = try GeneratorCheckpoint.generate(saved.state, generatorState: saved.generator,
                                                         conditions: events, seed: seed)
        try CaloNPZ.write(generated, to: URL(fileURLWithPath: output))
        FileHandle.standardError.write(Data(String(format: "lipsweep generate: %d events (epoch %d generator) in %.2f s → %@\n",
                                                   events.count, saved.state.epoch, Date().timeIntervalSince(start), output).utf8))
    }
}
