import Foundation

/// The program a trial runs: `lipsweep train …` by default (this very executable), or the
/// program named by the environment variable `LIPSWEEP_WORKER`, which receives the same
/// arguments (`train --config F --checkpoint-dir D --threads T [--resume]`) and must follow
/// docs/worker-protocol.md. The hook exists for custom workers and for tests.
public struct WorkerCommand: Sendable, Equatable {
    public var executable: String
    public init(executable: String) { self.executable = executable }

    public static let environmentVariable = "LIPSWEEP_WORKER"

    public static func resolve(environment: [String: String] = ProcessInfo.processInfo.environment) -> WorkerCommand {
        if let custom = environment[environmentVariable], !custom.isEmpty { return WorkerCommand(executable: custom) }
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return WorkerCommand(executable: me)
    }

    public func arguments(config: String, checkpointDir: String, threads: Int, resume: Bool) -> [String] {
        ["train", "--config", config, "--checkpoint-dir", checkpointDir, "--threads", String(threads)] + (resume ? ["--resume"] : [])
    }
}
