import ArgumentParser
import Foundation
import Sweep

/// `lipsweep sync`: follows a sweep running on SLURM.
struct SyncCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "\(ExecutorKind.detached.map(\.displayName).joined(separator: ", ")): ingest what the workers wrote, resubmit failed tasks and pending trials, print the status.",
        discussion: "Uses the executor settings of the last `lipsweep run`. Safe to run any time, e.g. from cron.")

    @OptionGroup var results: ResultsOption
    @Option(help: "The sweep (default: the most recent).") var sweep: String?
    @Flag(help: "Keep polling until no trial is pending or running (Ctrl-C leaves the jobs running).") var wait = false

    func run() throws {
        StopSignals.install()
        let dir = ResultsDirectory(results.directory)
        let (record, summary) = try DetachedSweep(results: dir, sweepName: sweep).sync(wait: wait)
        print(try sweepStatus(store: try dir.openExisting(), sweep: record), terminator: "")
        if !summary.clusterJobs.isEmpty { print(ClusterHint.text(summary.clusterJobs, on: record.executor?.kind ?? ExecutorKind.detached[0], results: results.results)) }
        if let sig = StopSignals.received, summary.stoppedBySignal { throw ExitCode(128 + sig) }
        if summary.failed > 0 { throw ExitCode(1) }
    }
}
