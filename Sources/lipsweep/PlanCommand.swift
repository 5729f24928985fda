import ArgumentParser
import Foundation
import Sweep

/// `lipsweep plan SPEC`: validates the spec and prints its trials, running nothing.
struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan", abstract: "Validate a sweep spec and print its trials without running anything.",
        discussion: """
            Every mistake that would make a trial fail or the sweep do nothing is refused here, with \
            the file and line (exit 2): unknown keys, bad values, empty lists, a data file that is \
            not a valid .npz or holds too few events, a batch larger than the training set, more \
            k-means clusters than test events, a QG window longer than the training.
            """)

    @Argument(help: "The sweep spec (YAML).") var spec: String
    @OptionGroup var results: ResultsOption
    @Flag(help: "Print the trials as JSON (number, config_hash and the full trial config each worker receives).")
    var json = false

    func run() throws {
        let parsed = try SweepSpec.load(path: spec)
        if json {
            print(planJSON(parsed))
            return
        }
        print(planTable(parsed).render(.table), terminator: "")
        print(planSearchText(parsed), terminator: "")
        let e = parsed.executor
        print("\(parsed.trials.count) \(parsed.search.plannedNoun) in sweep \"\(parsed.name)\"; executor \(e.kind.rawValue): \(e.workers) worker(s) × \(e.threads) thread(s), \(e.retries) retries"
              + (e.worker.map { "; worker: \($0.joined(separator: " "))" } ?? ""))
    }
}
