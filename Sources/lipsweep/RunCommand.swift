import ArgumentParser
import Foundation
import Sweep
import UserErrors

/// `lipsweep run SPEC`: runs the sweep, or continues it where it stopped.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a sweep, or continue it: finished trials are kept, new grid points added.",
        discussion: """
            Ctrl-C (SIGINT) or SIGTERM stops cleanly: running trials go back to pending and the \
            next `lipsweep run` resumes them from their last checkpoint. The environment variable \
            \(WorkerKinds.environmentVariable) names another worker program (docs/worker-protocol.md).

            With the SLURM executor (`executor.kind: slurm` or --executor slurm) the pending trials \
            are submitted as job arrays and this command follows them until all are done; Ctrl-C \
            leaves the cluster's jobs running (`lipsweep sync` follows them again, `lipsweep cancel` \
            stops them). --detach submits and returns at once.
            """)

    @Argument(help: "The sweep spec (YAML).") var spec: String
    @OptionGroup var results: ResultsOption
    @Option(help: ArgumentHelp(ExecutorKeys.help("workers"))) var workers: Int?
    @Option(help: ArgumentHelp(ExecutorKeys.help("threads"))) var threads: Int?
    @Option(help: ArgumentHelp(ExecutorKeys.help("executor"))) var executor: ExecutorKind?
    @Option(help: ArgumentHelp(ExecutorKeys.help("retries"))) var retries: Int?
    @Option(help: ArgumentHelp(ExecutorKeys.help("backoff-seconds"))) var backoffSeconds: Double?
    @OptionGroup(title: "SLURM (override executor.slurm)") var slurm: SlurmOptionsGroup
    @Flag(help: ArgumentHelp("\(ExecutorKind.detached.map(\.displayName).joined(separator: ", ")): submit the pending trials and return; `lipsweep sync` ingests and resubmits later.")) var detach = false
    @Option(name: .customLong("optuna-journal"),
            help: ArgumentHelp("Keep this Optuna journal up to date as the sweep runs (overrides output.optuna_journal); open it with optuna-dashboard FILE.", valueName: "FILE"))
    var optunaJournal: String?
    @Option(name: .customLong("optuna-objective"), help: "The journal's objective: \(OptunaObjective.all.map(\.name).joined(separator: ", ")) (default qg).")
    var optunaObjective: String?

    func validate() throws {
        var scratch = ExecutorConfig()
        do { try ExecutorKeys.apply(options: executorOptions, to: &scratch) } catch { throw ValidationError(error.description) }
        if let optunaObjective, OptunaObjective.named(optunaObjective) == nil {
            throw ValidationError("--optuna-objective must be one of \(OptunaObjective.all.map(\.name).joined(separator: ", ")), not \"\(optunaObjective)\"")
        }
    }

    /// The executor options given, by their ExecutorKeys option name.
    var executorOptions: [(option: String, value: ExecutorValue?)] {
        [("executor", executor.map { .text($0.rawValue) }), ("workers", workers.map(ExecutorValue.integer)),
         ("threads", threads.map(ExecutorValue.integer)), ("retries", retries.map(ExecutorValue.integer)),
         ("backoff-seconds", backoffSeconds.map(ExecutorValue.number))] + slurm.given
    }

    func run() throws {
        var parsed = try SweepSpec.load(path: spec)
        try ExecutorKeys.apply(options: executorOptions, to: &parsed.executor)
        if let optunaJournal {
            let path = URL(fileURLWithPath: optunaJournal).standardizedFileURL.path
            if let (problem, fix) = OutputConfig.journalProblem(path) { throw InvalidInput("--optuna-journal \(optunaJournal): \(problem); \(fix)") }
            parsed.executor.output.optunaJournal = path
        }
        if let optunaObjective { parsed.executor.output.optunaObjective = optunaObjective }
        StopSignals.install()
        let dir = ResultsDirectory(results.directory)
        let summary = try SweepRunner(spec: parsed, results: dir, codeVersion: Lipsweep.configuration.version).run(detach: detach)
        let kind = parsed.executor.kind
        let detached = kind.runsDetached
        let onCluster = summary.clusterJobs.count
        print("""
            sweep "\(parsed.name)": \(summary.completed) completed, \(summary.diverged) diverged, \
            \(summary.pruned > 0 ? "\(summary.pruned) pruned, " : "")\(summary.failed) failed, \
            \(summary.pending - onCluster) pending\(detached ? ", \(onCluster) on \(kind.displayName)" : ""); \
            \(String(format: "%.1f", summary.wallSeconds)) s\
            \(detached ? "" : ", worker slots busy \(String(format: "%.1f", 100 * summary.slotUtilisation))%")
            results: \(dir.database.path)
            """)
        if let search = summary.searchStatus { print(search, terminator: "") }
        if detached && !summary.clusterJobs.isEmpty {
            print(ClusterHint.text(summary.clusterJobs, on: kind, results: results.results))
        }
        if let sig = StopSignals.received, summary.stoppedBySignal {
            print("stopped by signal \(sig); " + (detached ? "the \(kind.displayName) jobs keep running" : "run the same command again to continue"))
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
    static func text(_ jobs: [String], on kind: ExecutorKind, results: String) -> String {
        let shown = jobs.prefix(6).joined(separator: " ") + (jobs.count > 6 ? " …" : "")
        return """
            \(jobs.count) trial(s) queued or running on \(kind.displayName) (\(shown)):
              lipsweep sync --results \(results) [--wait]   ingest what finished, resubmit what failed
              lipsweep cancel --results \(results)          stop them
            """
    }
}

/// The command-line overrides of `executor.slurm`; help, checks and how each sets the
/// settings are ExecutorKeys' (the same table as the spec's `executor:` section).
struct SlurmOptionsGroup: ParsableArguments {
    @Option(help: ArgumentHelp(ExecutorKeys.help("partition"))) var partition: String?
    @Option(help: ArgumentHelp(ExecutorKeys.help("time"))) var time: String?
    @Option(help: ArgumentHelp(ExecutorKeys.help("account"))) var account: String?
    @Option(help: ArgumentHelp(ExecutorKeys.help("cpus-per-task"))) var cpusPerTask: Int?
    @Option(help: ArgumentHelp(ExecutorKeys.help("mem"))) var mem: String?
    @Option(help: ArgumentHelp(ExecutorKeys.help("gpus-per-task"))) var gpusPerTask: Int?
    @Option(help: ArgumentHelp(ExecutorKeys.help("array-throttle"))) var arrayThrottle: Int?
    @Option(help: ArgumentHelp(ExecutorKeys.help("sbatch-flag"), valueName: "FLAG")) var sbatchFlag: [String] = []
    @Option(help: ArgumentHelp(ExecutorKeys.help("spool"), valueName: "DIR")) var spool: String?
    @Option(help: ArgumentHelp(ExecutorKeys.help("poll-seconds"))) var pollSeconds: Double?

    /// Each option given, by its ExecutorKeys option name.
    var given: [(option: String, value: ExecutorValue?)] {
        [("partition", partition.map(ExecutorValue.text)), ("time", time.map(ExecutorValue.text)),
         ("account", account.map(ExecutorValue.text)), ("cpus-per-task", cpusPerTask.map(ExecutorValue.integer)),
         ("mem", mem.map(ExecutorValue.text)), ("gpus-per-task", gpusPerTask.map(ExecutorValue.integer)),
         ("array-throttle", arrayThrottle.map(ExecutorValue.integer)),
         ("sbatch-flag", sbatchFlag.isEmpty ? nil : .texts(sbatchFlag)), ("spool", spool.map(ExecutorValue.text)),
         ("poll-seconds", pollSeconds.map(ExecutorValue.number))]
    }
}

extension ExecutorKind: ExpressibleByArgument {
    public init?(argument: String) {
        guard ExecutorKind.registered.contains(ExecutorKind(rawValue: argument)) else { return nil }
        self.init(rawValue: argument)
    }
    public static var allValueStrings: [String] { registered.map(\.rawValue) }
}
