import ArgumentParser
import Foundation
import Sweep

/// `lipsweep run SPEC`: runs the sweep, or continues it where it stopped.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a sweep, or continue it: finished trials are kept, new grid points added.",
        discussion: """
            Ctrl-C (SIGINT) or SIGTERM stops cleanly: running trials go back to pending and the \
            next `lipsweep run` resumes them from their last checkpoint. The environment variable \
            \(WorkerCommand.environmentVariable) names another worker program (docs/worker-protocol.md).
            """)

    @Argument(help: "The sweep spec (YAML).") var spec: String
    @OptionGroup var results: ResultsOption
    @Option(help: "Worker processes at once (overrides executor.workers).") var workers: Int?
    @Option(help: "OpenBLAS threads per worker (overrides executor.threads).") var threads: Int?

    func validate() throws {
        if let workers, workers < 1 { throw ValidationError("--workers must be at least 1") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        var parsed = try SweepSpec.load(path: spec)
        if let workers { parsed.executor.workers = workers }
        if let threads { parsed.executor.threads = threads }
        StopSignals.install()
        let dir = ResultsDirectory(results.directory)
        let summary = try SweepRunner(spec: parsed, results: dir, codeVersion: Lipsweep.configuration.version).run()
        print("""
            sweep "\(parsed.name)": \(summary.completed) completed, \(summary.diverged) diverged, \(summary.failed) failed, \
            \(summary.pending) pending; \(String(format: "%.1f", summary.wallSeconds)) s, worker slots busy \
            \(String(format: "%.0f", 100 * summary.slotUtilisation))%
            results: \(dir.database.path)
            """)
        if let sig = StopSignals.received, summary.stoppedBySignal {
            print("stopped by signal \(sig); run the same command again to continue")
            throw ExitCode(128 + sig)
        }
        if summary.failed > 0 {
            FileHandle.standardError.write(Data("lipsweep: \(summary.failed) trial(s) failed; `lipsweep status --results \(results.results)` shows why\n".utf8))
            throw ExitCode(1)
        }
    }
}
