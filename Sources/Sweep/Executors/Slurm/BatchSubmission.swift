import Foundation

/// One `sbatch` submission: a job array with one task per trial, the task id being the
/// trial's number, each task running `lipsweep worker --spool DIR --task $SLURM_ARRAY_TASK_ID`.
/// The cluster options go on sbatch's command line (exact argv, no quoting), the script holds
/// only the environment and the command, so a user can read it and rerun a task by hand.
public struct BatchSubmission: Equatable, Sendable {
    public var jobName: String
    public var trialNumbers: [Int]
    public var options: SlurmOptions
    public var threads: Int
    public var spool: URL
    /// The absolute path of the `lipsweep` that runs on the nodes (shared filesystem).
    public var program: String
    /// LIPSWEEP_WORKER at submission: the trainer the worker runs instead of `lipsweep train`.
    public var customWorker: String?
    public var scriptPath: URL

    public init(jobName: String, trialNumbers: [Int], options: SlurmOptions, threads: Int, spool: URL, program: String,
                customWorker: String?, scriptPath: URL) {
        self.jobName = jobName; self.trialNumbers = trialNumbers; self.options = options; self.threads = threads
        self.spool = spool; self.program = program; self.customWorker = customWorker; self.scriptPath = scriptPath
    }

    /// "0-3,7,9-10%2": runs of consecutive numbers as ranges, then the throttle.
    public var arraySpec: String {
        var parts: [String] = []
        var i = 0
        let n = trialNumbers.sorted()
        while i < n.count {
            var j = i
            while j + 1 < n.count && n[j + 1] == n[j] + 1 { j += 1 }
            parts.append(i == j ? "\(n[i])" : "\(n[i])-\(n[j])")
            i = j + 1
        }
        return parts.joined(separator: ",") + (options.arrayThrottle.map { "%\($0)" } ?? "")
    }

    /// sbatch's arguments: `--parsable` makes it print just the job id.
    public var arguments: [String] {
        var args = ["--parsable", "--job-name=\(jobName)", "--array=\(arraySpec)",
                    "--output=\(spool.appendingPathComponent("slurm").path)/%A_%a.out",
                    "--cpus-per-task=\(options.cpusPerTask ?? threads)"]
        if let p = options.partition { args.append("--partition=\(p)") }
        if let t = options.time { args.append("--time=\(t)") }
        if let a = options.account { args.append("--account=\(a)") }
        if let m = options.mem { args.append("--mem=\(m)") }
        if let g = options.gpusPerTask { args.append("--gres=gpu:\(g)") }
        return args + options.extraFlags + [scriptPath.path]
    }

    public var script: String {
        var lines = [
            "#!/bin/bash",
            "# lipsweep job array \(jobName): one task per trial, the task id is the trial number.",
            "# Written and submitted by `lipsweep run`/`lipsweep sync`; the cluster options are on sbatch's",
            "# command line. Rerunning a task by hand is safe: the worker resumes from its checkpoint.",
            "export OPENBLAS_NUM_THREADS=\(threads)",
        ]
        if let customWorker { lines.append("export \(WorkerKinds.environmentVariable)=\(shellQuoted(customWorker))") }
        lines.append("exec \(shellQuoted(program)) worker --spool \(shellQuoted(spool.path)) --task \"$SLURM_ARRAY_TASK_ID\"")
        return lines.joined(separator: "\n") + "\n"
    }

    /// The job id in sbatch --parsable output: "123" or "123;cluster".
    public static func jobID(fromParsable output: String) throws -> String {
        let first = output.split(whereSeparator: \.isNewline).first.map(String.init)?.trimmingCharacters(in: .whitespaces) ?? ""
        let id = first.split(separator: ";").first.map(String.init) ?? ""
        guard !id.isEmpty, id.allSatisfy(\.isNumber) else { throw SlurmError.unreadable(program: "sbatch", output: output) }
        return id
    }
}

/// 'text' for /bin/sh, with embedded single quotes closed, escaped and reopened.
func shellQuoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }
