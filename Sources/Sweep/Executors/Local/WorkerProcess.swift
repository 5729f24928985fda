import Foundation
import Subprocess
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// Everything the scheduler's single loop reacts to, in the order it happened per worker.
enum WorkerEvent {
    case line(trialID: Int64, WorkerLine)
    /// The worker's stdout closed and the process is gone; `signal` when it was killed.
    case exited(trialID: Int64, status: Int32, signal: Bool)
}

/// A thread-safe FIFO the reader threads fill and the scheduler loop drains.
final class EventQueue: @unchecked Sendable {   // guarded by `condition`
    private let condition = NSCondition()
    private var events: [WorkerEvent] = []

    func push(_ event: WorkerEvent) {
        condition.lock(); events.append(event); condition.signal(); condition.unlock()
    }

    /// Everything queued, waiting up to `timeout` seconds for the first event.
    func drain(timeout: TimeInterval) -> [WorkerEvent] {
        condition.lock(); defer { condition.unlock() }
        if events.isEmpty { _ = condition.wait(until: Date().addingTimeInterval(timeout)) }
        let out = events
        events.removeAll(keepingCapacity: true)
        return out
    }
}

/// One running worker child process, launched and read with swift-subprocess.
///
/// The scheduler's loop is synchronous and owns the database; each worker is a detached task
/// that runs `Subprocess.run`, splits the child's stdout into whole lines and pushes them,
/// then its exit, into the `EventQueue` the loop drains. stderr goes straight to the trial's
/// log file (opened for appending, handed to the child, closed after the spawn).
final class WorkerProcess: Sendable {
    let trialID: Int64
    let logPath: String
    /// The child's pid, known once `init` returns (it waits for the spawn).
    let pid: Int32
    private let reaped = ReapedFlag()

    /// Whether the child has not yet been reaped.
    var isRunning: Bool { !reaped.isSet }

    init(trialID: Int64, command: any WorkerKind, arguments: [String], threads: Int, logPath: String, queue: EventQueue) throws {
        self.trialID = trialID
        self.logPath = logPath
        let log = try FileDescriptor.open(FilePath(logPath), .writeOnly,
                                          options: [.append, .create], permissions: [.ownerReadWrite, .groupRead, .otherRead])
        let launch = LaunchHandshake()
        let executable = Executable.path(FilePath(command.executable))
        // Subprocess's keys are string literals only: "LIPSWEEP_BIN" is WorkerKinds.binaryVariable.
        let environment = Environment.inherit.updating(["OPENBLAS_NUM_THREADS": String(threads),
                                                        "LIPSWEEP_BIN": WorkerKinds.thisExecutable])
        let reaped = self.reaped
        Task.detached {
            do {
                let result = try await Subprocess.run(
                    executable, arguments: Arguments(arguments), environment: environment,
                    input: .none, output: .sequence, error: .fileDescriptor(log, closeAfterSpawningProcess: true)
                ) { execution in
                    launch.succeed(pid: execution.processIdentifier.value)
                    // Whole lines only: a line cut off by the worker's death is the lost epoch.
                    var buffer: [UInt8] = []
                    for try await chunk in execution.standardOutput {
                        chunk.withUnsafeBytes { buffer.append(contentsOf: $0) }
                        var lineStart = 0
                        while let newline = buffer[lineStart...].firstIndex(of: UInt8(ascii: "\n")) {
                            let text = String(decoding: buffer[lineStart..<newline], as: UTF8.self)
                            lineStart = newline + 1
                            if !text.trimmingCharacters(in: .whitespaces).isEmpty {
                                queue.push(.line(trialID: trialID, WorkerLine.parse(text)))
                            }
                        }
                        buffer.removeFirst(lineStart)
                    }
                }
                reaped.set()
                switch result.terminationStatus {
                case let .exited(code): queue.push(.exited(trialID: trialID, status: code, signal: false))
                case let .signaled(sig): queue.push(.exited(trialID: trialID, status: sig, signal: true))
                }
            } catch {
                // Launch failed (e.g. the executable is missing): init reports it. A failure
                // after the launch (reading stdout) is an exit without an end line: retried.
                if !launch.fail(error) {
                    reaped.set()
                    queue.push(.exited(trialID: trialID, status: 1, signal: false))
                }
            }
        }
        pid = try launch.wait()
        Self.giveNiceness(Self.schedulerNiceness(), to: pid)
    }

    /// The nice value of this process's main thread (whose id is the pid): what `nice -n N
    /// lipsweep run` set, whichever thread asks.
    static func schedulerNiceness() -> Int32 {
        errno = 0
        let value = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(getpid()))
        return errno == 0 ? value : 0
    }

    /// Sets every thread of process `pid` to nice value `niceness`. On Linux a nice value
    /// belongs to a thread and a child inherits its spawning thread's; the spawn runs on one of
    /// Dispatch's pool threads, which set their own by QoS (0 for the default pool, −4 for the
    /// overcommit one), so without this `nice -n 19 lipsweep run` would start its workers at 0
    /// — or above normal priority. Done right after the spawn, before the worker starts
    /// threads of its own (which inherit it); a thread that already exists (OpenBLAS's pool,
    /// started as the library loads) is set too. A thread that ends meanwhile is skipped.
    static func giveNiceness(_ niceness: Int32, to pid: Int32) {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? ["\(pid)"]
        for task in tasks {
            guard let tid = UInt32(task) else { continue }
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), tid, niceness)
        }
    }

    /// Only while the child is unreaped, so a reused pid is never signalled.
    func signal(_ sig: Int32) { if isRunning { kill(pid, sig) } }

    /// The last lines the worker wrote on stderr, for the trial's error column.
    func stderrTail() -> String { logTail(logPath) }
}

/// Set once, when the worker's child has been reaped.
private final class ReapedFlag: @unchecked Sendable {   // guarded by `lock`
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}

/// The spawn's outcome, handed from the worker's task to the thread waiting in `init`.
private final class LaunchHandshake: @unchecked Sendable {   // guarded by `condition`
    private let condition = NSCondition()
    private var outcome: Result<Int32, any Error>?

    func succeed(pid: Int32) { settle(.success(pid)) }

    /// Reports a launch failure; false when the launch had already succeeded (the error
    /// came later and is the caller's to handle).
    func fail(_ error: any Error) -> Bool {
        condition.lock(); defer { condition.unlock() }
        if outcome != nil { return false }
        outcome = .failure(error); condition.signal()
        return true
    }

    private func settle(_ value: Result<Int32, any Error>) {
        condition.lock(); if outcome == nil { outcome = value }; condition.signal(); condition.unlock()
    }

    func wait() throws -> Int32 {
        condition.lock(); defer { condition.unlock() }
        while outcome == nil { condition.wait() }
        return try outcome!.get()
    }
}
