import Foundation
import Testing

/// Locates and runs the built `lipsweep` executable. `swift test` builds every product into
/// the same directory as the test bundle, so the binary sits next to the running test process
/// (in release mode when the suite runs with `-c release`, as `make test` does).
public enum Binary {
    public static var directory: URL {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        // The test runner may be inside `lipsweepPackageTests.xctest/`; step out of it.
        while dir.pathExtension == "xctest" || dir.path.contains(".xctest/") { dir.deleteLastPathComponent() }
        return dir
    }

    public static var lipsweep: URL { directory.appendingPathComponent("lipsweep") }

    public typealias Result = Child.Result

    /// Runs `lipsweep args…` to completion (at most `timeout` seconds), capturing both streams.
    @discardableResult
    public static func run(_ args: [String], cwd: URL? = nil, environment: [String: String] = [:], unsetting: [String] = [],
                    timeout: Double = Child.defaultTimeout) throws -> Result {
        try Child.run(lipsweep, args, cwd: cwd, environment: environment, unsetting: unsetting, timeout: timeout)
    }
}

/// Every process a test starts goes through here, for two reasons learnt the hard way:
/// - its output goes to files, never to pipes: a daemon the child starts (slurmctld, munged)
///   can inherit a pipe's write end and keep `readDataToEndOfFile` waiting for ever;
/// - every wait has a deadline: a child that never ends (a SLURM job that never starts, a
///   scheduler that hangs) fails its test with the child's output instead of hanging the
///   suite until CI kills it.
public enum Child {
    /// Long enough for the slowest real-trainer run in the suite (≈ 40 s on 2 busy cores),
    /// short enough that a hang costs minutes, not the CI budget.
    public static let defaultTimeout: Double = 300

    public struct Result {
        public var status: Int32, stdout: String, stderr: String
        public init(status: Int32, stdout: String, stderr: String) { self.status = status; self.stdout = stdout; self.stderr = stderr }
    }

    public struct TimedOut: Error, CustomStringConvertible {
        public var description: String

        /// Records the timeout as an issue of the running test and returns the error to throw.
        public static func recorded(_ message: String) -> TimedOut {
            Issue.record(Comment(rawValue: message))
            return TimedOut(description: message)
        }
    }

    /// Runs `executable args…` to completion and returns its exit status (128 + N when killed
    /// by signal N) and output. Its environment is this process's with `environment` merged
    /// in and the variables in `unsetting` removed. Spawned with posix_spawn and reaped with waitpid rather than
    /// through Foundation's Process, whose end-of-process detection waits on a socket that
    /// every descendant inherits. The child gets /dev/null as stdin, files as stdout and
    /// stderr, and no other descriptor of this process. On a timeout the child and its
    /// descendants are killed, the test records an issue naming the command and the tail of
    /// its output, and `TimedOut` is thrown.
    @discardableResult
    public static func run(_ executable: URL, _ args: [String], cwd: URL? = nil, environment: [String: String] = [:],
                    unsetting: [String] = [], timeout: Double = defaultTimeout) throws -> Result {
        let dir = Repo.scratch("child")
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("stdout"), err = dir.appendingPathComponent("stderr")
        let pid = try spawn(executable.path, args, cwd: cwd?.path, stdout: out.path, stderr: err.path,
                            environment: ProcessInfo.processInfo.environment.merging(environment) { $1 }
                                .filter { !unsetting.contains($0.key) })
        let status = reap(pid, timeout: timeout)
        let result = Result(status: status ?? -1,
                            stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
                            stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
        guard status != nil else {
            let command = ([executable.lastPathComponent] + args).joined(separator: " ")
            let message = "`\(command)` did not finish within \(Int(timeout)) s and was killed;"
                + " stdout ends: \(result.stdout.suffix(1500))\n stderr ends: \(result.stderr.suffix(1500))"
            throw TimedOut.recorded(message)
        }
        return result
    }

    public struct SpawnFailed: Error, CustomStringConvertible { public var description: String }

    private static func spawn(_ path: String, _ args: [String], cwd: String?, stdout: String, stderr: String,
                              environment: [String: String]) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        _ = GlibcSpawn.addCloseFrom(&actions, 3)
        if let cwd { _ = GlibcSpawn.addChdir(&actions, cwd) }
        // Default dispositions and an empty mask: the test runner's ignored SIGPIPE or blocked
        // signals must not leak into the child.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var signals = sigset_t()
        sigemptyset(&signals)
        posix_spawnattr_setsigmask(&attributes, &signals)
        sigfillset(&signals)
        posix_spawnattr_setsigdefault(&attributes, &signals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = ([path] + args).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let code = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        guard code == 0 else { throw SpawnFailed(description: "cannot run \(path): \(String(cString: strerror(code)))") }
        return pid
    }

    /// The exit status of `pid` (128 + N when signal N killed it), or nil when it did not end
    /// within `timeout`: then it and its descendants are killed and reaped.
    private static func reap(_ pid: pid_t, timeout: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        while Date() < deadline {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { return decode(status) }
            if r < 0 && errno != EINTR { return -1 }
            usleep(5_000)
        }
        killTree(pid)
        _ = waitpid(pid, &status, 0)
        return nil
    }

    /// waitpid's status word: the low 7 bits are the terminating signal (0 for a normal exit),
    /// bits 8–15 the exit code.
    private static func decode(_ status: Int32) -> Int32 {
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    /// Waits for a process started elsewhere (a scheduler a test kills); on a timeout it is
    /// killed with its descendants, an issue is recorded and `TimedOut` thrown.
    public static func waitForExit(_ p: Process, timeout: Double = defaultTimeout, what: String = "the process") throws {
        guard wait(p, timeout: timeout) else {
            let message = "\(what) (pid \(p.processIdentifier)) did not exit within \(Int(timeout)) s and was killed"
            throw TimedOut.recorded(message)
        }
    }

    /// true when `p` ended within `timeout`; otherwise kills it and its descendants and returns
    /// false. No `waitUntilExit` then: Foundation may never see the end of a process whose
    /// socket a daemon inherited.
    private static func wait(_ p: Process, timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { usleep(10_000) }
        if !p.isRunning { p.waitUntilExit(); return true }
        killTree(p.processIdentifier)
        return false
    }

    /// SIGKILL to `pid` and every descendant (found through /proc/*/stat's parent pid), the
    /// descendants first so that none is re-parented out of reach.
    public static func killTree(_ pid: Int32) {
        var children: [Int32: [Int32]] = [:]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let child = Int32(entry),
                  let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            // "pid (comm) state ppid …": the fields after the last ')' start with state, ppid.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, let parent = Int32(fields[1]) { children[parent, default: []].append(child) }
        }
        func kill(_ pid: Int32) {
            for child in children[pid] ?? [] { kill(child) }
            _ = Foundation.kill(pid, SIGKILL)
        }
        kill(pid)
    }
}

/// glibc's posix_spawn extensions (2.29 / 2.34) that Swift's Glibc module does not import
/// (they sit behind _GNU_SOURCE), looked up at run time.
private enum GlibcSpawn {
    typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    typealias Chdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32

    static let addCloseFrom: CloseFrom = symbol("posix_spawn_file_actions_addclosefrom_np")
    static let addChdir: Chdir = symbol("posix_spawn_file_actions_addchdir_np")

    private static func symbol<F>(_ name: String) -> F {
        guard let address = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else {
            fatalError("\(name) not in this glibc (2.34 or newer is needed)")
        }
        return unsafeBitCast(address, to: F.self)
    }
}
