import Foundation

/// The program a trial runs: `lipsweep train …` by default (this very executable), the spec's
/// `executor.worker` (a program and its first arguments, e.g. `python3 train.py`), or the
/// program named by the environment variable `LIPSWEEP_WORKER`. Each receives the same
/// arguments (`train --config F --checkpoint-dir D --threads T [--resume]`, after the
/// `executor.worker` arguments) and must follow docs/worker-protocol.md.
public struct WorkerCommand: Sendable, Equatable {
    public var executable: String
    /// What comes between the program and `train …`: the rest of `executor.worker`.
    public var leadingArguments: [String]
    public init(executable: String, leadingArguments: [String] = []) {
        self.executable = executable; self.leadingArguments = leadingArguments
    }

    /// `executor.worker` as the spec reader resolved it: program first.
    public init(argv: [String]) {
        self.init(executable: argv.first ?? "", leadingArguments: Array(argv.dropFirst()))
    }

    public static let environmentVariable = "LIPSWEEP_WORKER"
    /// Set for every worker to the `lipsweep` that runs the sweep (locally the scheduler, on
    /// SLURM `lipsweep worker`): the binary a worker of the user's own calls for
    /// `lipsweep data` and `lipsweep score` (python/lipsweep_worker).
    public static let binaryVariable = "LIPSWEEP_BIN"

    /// This executable's absolute path.
    public static var thisExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    public static func resolve(environment: [String: String] = ProcessInfo.processInfo.environment) -> WorkerCommand {
        if let custom = environment[environmentVariable], !custom.isEmpty { return WorkerCommand(executable: custom) }
        return WorkerCommand(executable: thisExecutable)
    }

    /// The spec's `executor.worker` when it has one, else `resolve(environment:)`.
    public static func resolve(worker: [String]?, environment: [String: String] = ProcessInfo.processInfo.environment) -> WorkerCommand {
        if let worker, !worker.isEmpty { return WorkerCommand(argv: worker) }
        return resolve(environment: environment)
    }

    public func arguments(config: String, checkpointDir: String, threads: Int, resume: Bool) -> [String] {
        leadingArguments + ["train", "--config", config, "--checkpoint-dir", checkpointDir, "--threads", String(threads)]
            + (resume ? ["--resume"] : [])
    }
}
