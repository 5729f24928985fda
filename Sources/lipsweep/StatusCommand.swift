import ArgumentParser
import Foundation
import Sweep

/// `lipsweep status`: where each sweep of a results directory stands.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show trial counts by state, running trials and failures.")

    @OptionGroup var results: ResultsOption
    @Option(help: "Only this sweep (default: every sweep in the directory).") var sweep: String?

    func run() throws {
        let dir = ResultsDirectory(results.directory)
        let store = try dir.openExisting()
        let sweeps = try sweep.map { [try dir.sweep(in: store, named: $0)] } ?? store.sweeps()
        for s in sweeps {
            print(try sweepStatus(store: store, sweep: s), terminator: "")
        }
    }
}
