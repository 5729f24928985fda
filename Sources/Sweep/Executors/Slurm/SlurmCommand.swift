import Foundation
import UserErrors

/// Runs SLURM's client programs (sbatch, squeue, scancel) found on PATH and captures their
/// output. Every failure becomes a `SlurmError` that names the program and the fix.
public struct SlurmCommand: Sendable {
    public var environment: [String: String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) { self.environment = environment }

    public struct Output: Sendable { public var status: Int32; public var stdout: String; public var stderr: String }

    /// The absolute path of `program` on PATH, or nil.
    public func locate(_ program: String) -> String? {
        let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") where !dir.isEmpty {
            let candidate = "\(dir)/\(program)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Runs `program args…` to completion; throws `SlurmError.missing` when it is not on PATH.
    public func run(_ program: String, _ args: [String]) throws -> Output {
        guard let exe = locate(program) else { throw SlurmError.missing(program: program) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        p.environment = environment
        p.standardInput = FileHandle.nullDevice
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        // Both pipes drained concurrently: a chatty program cannot block on a full pipe.
        nonisolated(unsafe) var errData = Data()
        let errReader = Thread { errData = err.fileHandleForReading.readDataToEndOfFile() }
        errReader.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        while !errReader.isFinished { usleep(1000) }
        return Output(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }
}

/// What can go wrong between lipsweep and the cluster. `refused` caused by a setting the
/// user chose (unknown partition, account, QOS, bad time limit, impossible resources) is a
/// user mistake (`UserInputError`, exit 2); everything else is a runtime failure (exit 1).
public enum SlurmError: Error, CustomStringConvertible, Equatable {
    case missing(program: String)
    case refused(program: String, message: String, isSettingsMistake: Bool)
    case unreadable(program: String, output: String)

    public var description: String {
        switch self {
        case let .missing(program):
            return "\(program): not found on PATH; run lipsweep where SLURM's client commands are installed (a login node), add their directory to PATH, or use `executor.kind: local` (--executor local); the trials stay pending and a later run submits them"
        case let .refused(program, message, settings):
            let fix = settings
                ? "fix executor.slurm in the spec (partition, account, time, cpus_per_task, mem, extra_flags) or the matching option of `lipsweep run`"
                : "check the cluster (`sinfo`, `squeue`) and run again"
            return "\(program) refused the job: \(message); \(fix); the trials stay pending and a later run submits them"
        case let .unreadable(program, output):
            return "\(program): unexpected output \"\(output.prefix(200))\"; is this a SLURM installation lipsweep supports (22.05 or newer)?"
        }
    }

    /// sbatch's messages for settings the user chose (SLURM 22.05 wording).
    public static func isSettingsMistake(_ message: String) -> Bool {
        let m = message.lowercased()
        return ["invalid partition", "invalid account", "invalid qos", "invalid time limit", "invalid generic resource",
                "requested node configuration is not available", "unrecognized option", "invalid option",
                "memory specification can not be satisfied", "job violates accounting/qos policy"]
            .contains { m.contains($0) }
    }
}

/// The user-mistake flavour of `SlurmError`, so the CLI exits 2 for it.
public struct SlurmSettingsError: UserInputError {
    public let underlying: SlurmError
    public var description: String { underlying.description }
}
