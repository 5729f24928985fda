import ArgumentParser
import Calo
import Foundation

/// `lipsweep inspect`: the first thing to run on a new data file — does it read, how many
/// events, what energy and momentum ranges, what do the physics features look like.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Summarise an LHCb-format .npz calorimeter file.",
        discussion: """
        Reads EnergyDeposit (N×30×30), ParticleMomentum (N×3) and ParticlePoint (N×2, or N×3 of
        which x and y are used); float32 or float64. Prints the event count, energy and momentum
        ranges, total-energy statistics, the mean physics features and the zero-energy count.
        """)

    @Argument(help: "The .npz file.")
    var file: String

    @Option(name: .customLong("z-off"), help: "Shower-axis offset z_off of the features, cell units (7 simulated, 25 LHCb).")
    var zOffset: Float = PhysicsFeatures.defaultZOffset

    @Flag(name: .customLong("all-features"), help: "List all 54 mean features (default: 4 shape features and 5 sparsity levels).")
    var allFeatures = false

    func validate() throws {
        guard zOffset.isFinite else { throw ValidationError("--z-off must be a finite number of cell units") }
    }

    func run() throws {
        let events = try CaloNPZ.read(URL(fileURLWithPath: file))
        guard events.count > 0 else {
            // A valid file with empty arrays: there are no ranges or means to show.
            print("file            \(file)\nevents          0 (the arrays are empty)")
            return
        }
        print(Self.report(CaloSummary(events, zOffset: zOffset), file: file, allFeatures: allFeatures))
    }

    static func report(_ s: CaloSummary, file: String, allFeatures: Bool) -> String {
        func range(_ x: CaloSummary.Stats) -> String { String(format: "%10.4g … %-10.4g", x.min, x.max) }
        func full(_ x: CaloSummary.Stats) -> String {
            range(x) + String(format: " mean %.4g  sd %.4g", x.mean, x.sd)
        }
        var lines = [
            "file            \(file)",
            "events          \(s.events)",
            "cell energy     \(range(s.cellEnergy)) GeV",
            "total energy    \(full(s.totalEnergy)) GeV",
            "total / |p|     \(full(s.response))",
            "non-zero cells  \(full(s.nonZeroCells))",
            "zero-energy     \(s.zeroEnergyEvents) events (features 0)",
            "|p|             \(range(s.momentumMagnitude)) GeV",
            "px              \(range(s.px)) GeV",
            "py              \(range(s.py)) GeV",
            "pz              \(range(s.pz)) GeV",
            "x0              \(range(s.x0)) cells",
            "y0              \(range(s.y0)) cells",
            "mean features (z_off = \(s.zOffset)):",
        ]
        let shown = allFeatures ? Array(0..<PhysicsFeatures.count) : [0, 1, 2, 3, 4, 16, 28, 40, 53]
        for f in shown {
            var name = PhysicsFeatures.names[f]
            if f >= 4 { name += String(format: " (α=%.2g)", PhysicsFeatures.sparsityThresholds[f - 4]) }
            lines.append("  " + name.padding(toLength: 28, withPad: " ", startingAt: 0) + String(format: "%.5g", s.meanFeatures[f]))
        }
        return lines.joined(separator: "\n")
    }
}
