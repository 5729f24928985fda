import Foundation
import Testing

/// The single-node SLURM cluster of scripts/slurm-local.sh, started once per test process
/// (the first SLURM test to ask starts it; the others wait on the same lazy initialiser).
/// Without root or without the Debian packages the SLURM tests are cancelled (reported as
/// skipped) with the reason, never passed silently.
enum LocalSlurm {
    static let stateDirectory = "/tmp/lipsweep-slurm"
    static var conf: String { stateDirectory + "/slurm.conf" }

    /// nil when the cluster is up; otherwise why it is not.
    static let unavailable: String? = {
        if getuid() != 0 { return "SLURM tests need root to start slurmctld/slurmd (CI runs them as root)" }
        for tool in ["/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/bin/sbatch", "/usr/sbin/munged"]
        where !FileManager.default.isExecutableFile(atPath: tool) {
            return "\(tool) missing: install the Debian packages slurm-wlm and munge (`make deps` does as root)"
        }
        // The script starts daemons: Child gives them files, not pipes, to inherit.
        let start: Child.Result
        do {
            start = try Child.run(URL(fileURLWithPath: "/bin/bash"), [Repo.path("scripts/slurm-local.sh"), "start", stateDirectory],
                                  timeout: 120)
        } catch { return "scripts/slurm-local.sh start: \(error)" }
        return start.status == 0 ? nil : "scripts/slurm-local.sh start failed: \(start.stderr)"
    }()

    /// Starts the cluster or cancels the calling test with the reason.
    static func require() throws {
        if let reason = unavailable {
            print("SLURM test skipped: \(reason)")
            try Test.cancel(Comment(rawValue: reason))
        }
    }

    static var env: [String: String] { ["SLURM_CONF": conf] }

    /// Runs a SLURM client command (squeue, scancel) against the local cluster.
    @discardableResult
    static func client(_ program: String, _ args: [String]) throws -> String {
        try Child.run(URL(fileURLWithPath: "/usr/bin/\(program)"), args, environment: env, timeout: 60).stdout
    }

    /// Waits until `condition` holds (polling every 0.1 s), up to `seconds`.
    static func waitFor(_ seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            usleep(100_000)
        }
        return try condition()
    }
}
