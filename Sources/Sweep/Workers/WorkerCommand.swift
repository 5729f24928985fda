import Foundation

/// A kind of worker: the program a trial runs, given the protocol's arguments
/// (`train --config F --checkpoint-dir D --threads T [--resume]`) after its own `argv`, and
/// following docs/worker-protocol.md. Registered kinds (`WorkerKinds.all`): the embedded
/// trainer (this very executable's `lipsweep train`) and a user's command (today named by the
/// environment variable `LIPSWEEP_WORKER`; a spec key giving its argv would build the same
/// kind). Executors take `any WorkerKind` and name no concrete kind.
public protocol WorkerKind: Sendable {
    /// The kind's name (`trainer`, `command`).
    static var name: String { get }
    /// The program and its own leading arguments.
    var argv: [String] { get }
}

extension WorkerKind {
    public var executable: String { argv[0] }

    /// The whole argument list after the executable.
    public func arguments(config: String, checkpointDir: String, threads: Int, resume: Bool) -> [String] {
        Array(argv.dropFirst()) + ["train", "--config", config, "--checkpoint-dir", checkpointDir, "--threads", String(threads)]
            + (resume ? ["--resume"] : [])
    }
}

/// The trainer built into lipsweep: this executable, so the nodes of a cluster run the very
/// `lipsweep` that submitted the trials.
public struct EmbeddedTrainer: WorkerKind {
    public static let name = "trainer"
    public let argv: [String]
    public init() {
        argv = [WorkerKinds.thisExecutable]
    }
}

/// A user's own worker program (custom trainers, and the tests' scripted worker).
public struct UserWorkerCommand: WorkerKind {
    public static let name = "command"
    public let argv: [String]
    public init(argv: [String]) { precondition(!argv.isEmpty); self.argv = argv }
}

public enum WorkerKinds {
    public static let all: [any WorkerKind.Type] = [EmbeddedTrainer.self, UserWorkerCommand.self]

    /// Names a user's worker program for every trial of this process (and, exported, of its
    /// SLURM tasks).
    public static let environmentVariable = "LIPSWEEP_WORKER"

    /// Set for every worker to the `lipsweep` that runs the sweep (locally the scheduler, on
    /// SLURM `lipsweep worker`): the binary a worker of the user's own calls for
    /// `lipsweep data` and `lipsweep score` (python/lipsweep_worker).
    public static let binaryVariable = "LIPSWEEP_BIN"

    /// This executable's absolute path.
    public static var thisExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// The spec's `executor.worker` (a program and its first arguments, as the spec reader
    /// resolved them) when it has one; else the user's command when `LIPSWEEP_WORKER` names
    /// one; else the embedded trainer.
    public static func resolve(worker: [String]? = nil,
                               environment: [String: String] = ProcessInfo.processInfo.environment) -> any WorkerKind {
        if let worker, !worker.isEmpty { return UserWorkerCommand(argv: worker) }
        if let custom = environment[environmentVariable], !custom.isEmpty { return UserWorkerCommand(argv: [custom]) }
        return EmbeddedTrainer()
    }
}
