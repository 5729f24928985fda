import ArgumentParser
import Foundation
import Sweep

/// `lipsweep cancel`: stops a sweep's SLURM jobs.
struct CancelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract: "\(ExecutorKind.detached.map(\.displayName).joined(separator: ", ")): stop the sweep's running tasks and mark their trials cancelled.",
        discussion: """
            Epochs the workers finished are kept. `lipsweep run SPEC` later queues cancelled trials \
            again and resumes them from their checkpoints; `lipsweep sync` leaves them cancelled.
            """)

    @OptionGroup var results: ResultsOption
    @Option(help: "The sweep (default: the most recent).") var sweep: String?

    func run() throws {
        let (record, jobs) = try DetachedSweep(results: ResultsDirectory(results.directory), sweepName: sweep).cancel()
        if jobs.isEmpty {
            print("sweep \"\(record.name)\": no task on \(record.executor?.kind.displayName ?? "the cluster") to cancel")
        } else {
            print("sweep \"\(record.name)\": cancelled \(jobs.count) task(s): \(jobs.joined(separator: " "))")
            print("`lipsweep run SPEC --results \(results.results)` resumes them from their checkpoints")
        }
    }
}
