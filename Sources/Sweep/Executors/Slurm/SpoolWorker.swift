import DurableFiles
import Foundation
import UserErrors

/// `lipsweep worker --spool DIR --task N`, what each SLURM array task runs: looks up trial N
/// in the spool manifest and runs the trainer for it (`lipsweep train`, `executor.worker` or LIPSWEEP_WORKER)
/// as a child process whose stdout is appended to the trial's `lines.jsonl` — the trainer
/// writes each line with one write(2), so a reader sees whole lines or a cut last one — and
/// whose stderr goes to `worker.log`. The checkpoint lives in the trial's spool directory.
/// It never opens the SQLite database (which must not live on a network filesystem).
public enum SpoolWorker {
    /// Runs the trial's trainer to its end; returns the trainer's exit status (128 + signal
    /// when it was killed), which becomes the array task's.
    public static func run(spool: Spool, task: Int, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Int32 {
        let manifest = try spool.readManifest()
        guard let name = manifest.trials[String(task)] else {
            throw InvalidInput("\(spool.manifestFile.path): no trial number \(task) in this sweep's manifest; the array task id must be a trial number of sweep \"\(manifest.sweep)\"")
        }
        let dir = spool.url.appendingPathComponent(name)
        let config = dir.appendingPathComponent("trial.json")
        guard FileManager.default.fileExists(atPath: config.path) else {
            throw InvalidInput("\(config.path): missing; the spool is incomplete — resubmit with `lipsweep sync`")
        }
        let lines = Spool.linesFile(dir)
        // A line cut by an earlier attempt's death would glue onto this attempt's first line:
        // drop it (the scheduler never consumed it; it reads whole lines only).
        let started = try dropPartialLastLine(lines)
        let command = WorkerKinds.resolve(worker: manifest.worker, environment: environment)
        // Started before: resume (a worker treats "no checkpoint in DIR" as a fresh start).
        let args = command.arguments(config: config.path, checkpointDir: dir.path, threads: manifest.threads, resume: started)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: command.executable)
        process.arguments = args
        var env = environment
        env["OPENBLAS_NUM_THREADS"] = String(manifest.threads)
        env[WorkerKinds.binaryVariable] = WorkerKinds.thisExecutable
        process.environment = env
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try appending(lines)
        process.standardError = try appending(dir.appendingPathComponent("worker.log"))
        try process.run()
        process.waitUntilExit()
        let killed = process.terminationReason == .uncaughtSignal
        let status = process.terminationStatus
        let job = [environment["SLURM_ARRAY_JOB_ID"], environment["SLURM_ARRAY_TASK_ID"]].compactMap { $0 }.joined(separator: "_")
        let record = Spool.ExitRecord(job: job, status: status, signal: killed)
        try DurableFile.write(try JSONEncoder().encode(record), to: Spool.exitFile(dir))
        return killed ? 128 + status : status
    }

    /// Truncates `file` after its last newline; returns whether it holds any complete line.
    static func dropPartialLastLine(_ file: URL) throws -> Bool {
        guard let data = FileManager.default.contents(atPath: file.path), !data.isEmpty else { return false }
        let keep = data.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
        if keep < data.count { truncate(file.path, off_t(keep)) }
        return keep > 0
    }

    /// A write handle that appends (O_APPEND), creating the file.
    static func appending(_ file: URL) throws -> FileHandle {
        let fd = open(file.path, O_WRONLY | O_APPEND | O_CREAT, 0o644)
        guard fd >= 0 else { throw InvalidInput("\(file.path): cannot open for writing; check the spool directory's permissions") }
        return FileHandle(fileDescriptor: fd, closeOnDealloc: true)
    }
}
