import ArgumentParser
import Foundation
import Sweep
import UserErrors

extension ExecutorKind: ExpressibleByArgument {}

/// `lipsweep run SPEC`: runs the sweep, or continues it where it stopped.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a sweep, or continue it: finished trials are kept, new grid points added.",
        discussion: """
            Ctrl-C (SIGINT) or SIGTERM stops cleanly: running trials go back to pending and the \
            next `lipsweep run` resumes them from their last checkpoint. The environment variable \
            \(WorkerCommand.environmentVariable) names another worker program (docs/worker-protocol.md).

            With the SLURM executor (`executor.kind: slurm` or --executor slurm) the pending trials \
            are submitted as job arrays and this command follows them until all are done; Ctrl-C \
            leaves the cluster's jobs running (`lipsweep sync` follows them again, `lipsweep cancel` \
            stops them). --detach submits and returns at once.
            """)

    @Argument(help: "The sweep spec (YAML).") var spec: String
    @OptionGroup var results: ResultsOption
    @Option(help: "Worker processes at once (overrides executor.workers).") var workers: Int?
    @Option(help: "OpenBLAS threads per worker (overrides executor.threads).") var threads: Int?
    @Option(help: "Where trials run: local | slurm (overrides executor.kind).") var executor: ExecutorKind?
    @OptionGroup(title: "SLURM (override executor.slurm)") var slurm: SlurmOptionsGroup
    @Flag(help: "SLURM: submit the pending trials and return; `lipsweep sync` ingests and resubmits later.") var detach = false
    @Option(name: .customLong("optuna-journal"),
            help: ArgumentHelp("Keep this Optuna journal up to date as the sweep runs (overrides output.optuna_journal); open it with optuna-dashboard FILE.", valueName: "FILE"))
    var optunaJournal: String?
    @Option(name: .customLong("optuna-objective"), help: "The journal's objective: \(OptunaObjective.all.map(\.name).joined(separator: ", ")) (default qg).")
    var optunaObjective: String?

    func validate() throws {
        if let workers, workers < 1 { throw ValidationError("--workers must be at least 1") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        try slurm.validate()
        if let optunaObjective, OptunaObjective.named(optunaObjective) == nil {
            throw ValidationError("--optuna-objective must be one of \(OptunaObjective.all.map(\.name).joined(separator: ", ")), not \"\(optunaObjective)\"")
        }
    }

    func run() throws {
        var parsed = try SweepSpec.load(path: spec)
        if let workers { parsed.executor.workers = workers }
        if let threads { parsed.executor.threads = threads }
        if let executor { parsed.executor.kind = executor }
        slurm.apply(to: &parsed.executor.slurm)
        if let optunaJournal {
            let path = URL(fileURLWithPath: optunaJournal).standardizedFileURL.path
            if let (problem, fix) = OutputConfig.journalProblem(path) { throw InvalidInput("--optuna-journal \(optunaJournal): \(problem); \(fix)") }
            parsed.executor.output.optunaJournal = path
        }
        if let optunaObjective { parsed.executor.output.optunaObjective = optunaObjective }
        StopSignals.install()
        let dir = ResultsDirectory(results.directory)
        let summary = try SweepRunner(spec: parsed, results: dir, codeVersion: Lipsweep.configuration.version).run(detach: detach)
        let onSlurm = parsed.executor.kind == .slurm
        let onCluster = summary.clusterJobs.count
        print("""
            sweep "\(parsed.name)": \(summary.completed) completed, \(summary.diverged) diverged, \
            \(summary.pruned > 0 ? "\(summary.pruned) pruned, " : "")\(summary.failed) failed, \
            \(summary.pending - onCluster) pending\(onSlurm ? ", \(onCluster) on SLURM" : ""); \
            \(String(format: "%.1f", summary.wallSeconds)) s\
            \(onSlurm ? "" : ", worker slots busy \(String(format: "%.1f", 100 * summary.slotUtilisation))%")
            results: \(dir.database.path)
            """)
        if let brackets = summary.boundaryStatus { print(brackets, terminator: "") }
        if onSlurm && !summary.clusterJobs.isEmpty {
            print(ClusterHint.text(summary.clusterJobs, results: results.results))
        }
        if let sig = StopSignals.received, summary.stoppedBySignal {
            print("stopped by signal \(sig); " + (onSlurm ? "the SLURM jobs keep running" : "run the same command again to continue"))
            throw ExitCode(128 + sig)
        }
        if summary.failed > 0 {
            FileHandle.standardError.write(Data("lipsweep: \(summary.failed) trial(s) failed; `lipsweep status --results \(results.results)` shows why\n".utf8))
            throw ExitCode(1)
        }
    }
}

/// What a user can do about tasks left on the cluster.
enum ClusterHint {
    static func text(_ jobs: [String], results: String) -> String {
        let shown = jobs.prefix(6).joined(separator: " ") + (jobs.count > 6 ? " …" : "")
        return """
            \(jobs.count) trial(s) queued or running on SLURM (\(shown)):
              lipsweep sync --results \(results) [--wait]   ingest what finished, resubmit what failed
              lipsweep cancel --results \(results)          scancel them
            """
    }
}

/// The command-line overrides of `executor.slurm`.
struct SlurmOptionsGroup: ParsableArguments {
    @Option(help: "sbatch --partition.") var partition: String?
    @Option(help: "sbatch --time, per trial (e.g. 2:00:00).") var time: String?
    @Option(help: "sbatch --account.") var account: String?
    @Option(help: "sbatch --cpus-per-task (default: the threads per worker).") var cpusPerTask: Int?
    @Option(help: "sbatch --mem (e.g. 4G).") var mem: String?
    @Option(help: "Tasks of one job array running at once (--array=…%N).") var arrayThrottle: Int?
    @Option(help: ArgumentHelp("Another sbatch option, verbatim (repeatable): --sbatch-flag=--qos=long.", valueName: "FLAG"))
    var sbatchFlag: [String] = []
    @Option(help: ArgumentHelp("Spool directory on a filesystem the nodes share (default RESULTS/spool/SWEEP).", valueName: "DIR"))
    var spool: String?
    @Option(help: "Seconds between squeue polls while attached.") var pollSeconds: Double?

    func validate() throws {
        if let cpusPerTask, cpusPerTask < 1 { throw ValidationError("--cpus-per-task must be at least 1") }
        if let arrayThrottle, arrayThrottle < 1 { throw ValidationError("--array-throttle must be at least 1") }
        if let pollSeconds, !(pollSeconds > 0) { throw ValidationError("--poll-seconds must be positive") }
    }

    func apply(to options: inout SlurmOptions) {
        if let partition { options.partition = partition }
        if let time { options.time = time }
        if let account { options.account = account }
        if let cpusPerTask { options.cpusPerTask = cpusPerTask }
        if let mem { options.mem = mem }
        if let arrayThrottle { options.arrayThrottle = arrayThrottle }
        if !sbatchFlag.isEmpty { options.extraFlags += sbatchFlag }
        if let spool { options.spool = spool }
        if let pollSeconds { options.pollSeconds = pollSeconds }
    }
}
