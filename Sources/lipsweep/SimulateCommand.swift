import ArgumentParser
import Calo
import Foundation

/// `lipsweep simulate`: writes the built-in simulated dataset (docs/science.md §2.1) as an LHCb-format
/// .npz, so the data a sweep trains on can be looked at, shared or fed to other tools.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Simulate calorimeter showers and write them as an LHCb-format .npz file.",
        discussion: """
        Writes the keys EnergyDeposit (N×30×30), ParticleMomentum (N×3) and ParticlePoint (N×2),
        float32, readable by numpy.load. The same --seed always gives the same events.
        """)

    @Option(name: .long, help: "Number of events.")
    var events: Int = 10_000

    @Option(name: .long, help: "Random seed (same seed → same events).")
    var seed: UInt64 = 0

    @Option(name: .shortAndLong, help: "Output .npz file (replaced if it exists).")
    var output: String

    @Flag(name: .long, help: "Deflate the arrays (as numpy.savez_compressed): smaller, slower.")
    var compressed = false

    @Option(name: .long, help: "Threads to simulate with (the events do not depend on it).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        guard events > 0 else { throw ValidationError("--events must be a positive number of events, got \(events)") }
        guard threads > 0 else { throw ValidationError("--threads must be ≥ 1, got \(threads)") }
        guard output.hasSuffix(".npz") else {
            throw ValidationError("--output \(output): the file name must end in .npz (numpy.load needs it)")
        }
    }

    func run() throws {
        let start = Date()
        let simulated = ShowerSimulator.simulate(count: events, seed: seed, threads: threads)
        let url = URL(fileURLWithPath: output)
        try CaloNPZ.write(simulated, to: url, compressed: compressed)
        let seconds = Date().timeIntervalSince(start)
        let bytes = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
        print("wrote \(events) simulated events (seed \(seed)) to \(output): "
              + String(format: "%.1f MB in %.2f s", Double(bytes) / 1e6, seconds))
    }
}
