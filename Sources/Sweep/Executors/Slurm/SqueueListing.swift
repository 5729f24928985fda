/// The state of one SLURM array task as `squeue` reports it (22.05 state names).
public enum SlurmTaskState: Equatable, Sendable {
    /// Queued or on a node: PENDING, RUNNING, CONFIGURING, COMPLETING, SUSPENDED, REQUEUED, …
    case live(String)
    /// COMPLETED: the batch script exited 0.
    case completed
    /// Ended without success: FAILED, TIMEOUT, CANCELLED, NODE_FAIL, OUT_OF_MEMORY, PREEMPTED,
    /// BOOT_FAIL, DEADLINE, … — the trial is resubmitted from its checkpoint.
    case ended(String)

    static let failedStates: Set<String> = ["FAILED", "TIMEOUT", "CANCELLED", "NODE_FAIL", "OUT_OF_MEMORY", "PREEMPTED",
                                            "BOOT_FAIL", "DEADLINE", "REVOKED", "SPECIAL_EXIT"]

    public init(squeueState: String) {
        let s = squeueState.uppercased()
        if s == "COMPLETED" { self = .completed } else if Self.failedStates.contains(s) { self = .ended(s) } else { self = .live(s) }
    }

    public var isLive: Bool { if case .live = self { return true } else { return false } }
}

/// The tasks `squeue --noheader --array --states=all --format=%i|%T` lists, by job id
/// ("ARRAYJOB_TASK"). Finished tasks stay listed for the cluster's MinJobAge (300 s by
/// default); a task of ours that is not listed has vanished (purged, or lost with a
/// restarted controller), and its trial's spool files decide what happened.
public enum SqueueListing {
    public static let format = "%i|%T"

    public static func arguments(jobName: String) -> [String] {
        ["--noheader", "--array", "--states=all", "--name=\(jobName)", "--format=\(format)"]
    }

    /// Parses the listing; blank lines are skipped, a malformed line throws.
    public static func parse(_ text: String) throws -> [String: SlurmTaskState] {
        var out: [String: SlurmTaskState] = [:]
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            let fields = line.split(separator: "|", omittingEmptySubsequences: false)
            guard fields.count == 2, !fields[0].isEmpty, !fields[1].isEmpty else {
                throw SlurmError.unreadable(program: "squeue", output: line)
            }
            out[String(fields[0])] = SlurmTaskState(squeueState: String(fields[1]))
        }
        return out
    }
}
