import ArgumentParser
import Foundation
import Sweep

/// `lipsweep plan SPEC`: validates the spec and prints its trials, running nothing.
struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan", abstract: "Validate a sweep spec and print its trials without running anything.")

    @Argument(help: "The sweep spec (YAML).") var spec: String
    @OptionGroup var results: ResultsOption

    func run() throws {
        let parsed = try SweepSpec.load(path: spec)
        print(planTable(parsed).render(.table), terminator: "")
        let e = parsed.executor
        print("\(parsed.trials.count) trials in sweep \"\(parsed.name)\"; executor \(e.kind): \(e.workers) worker(s) × \(e.threads) thread(s), \(e.retries) retries")
    }
}
