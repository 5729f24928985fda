import Foundation

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

/// One running worker child process. Foundation.Process rather than swift-subprocess: the
/// scheduler needs the pid (stored, signalled on stop, killed when stale), a blocking line
/// reader on its own thread, and stderr appended straight to a log file — all plain with
/// Process and a Pipe, with no async machinery between the child and the single-threaded
/// loop that owns the database.
final class WorkerProcess: @unchecked Sendable {   // `process` is only read after start
    let trialID: Int64
    let process = Process()
    let logPath: String
    private let reader: Thread

    var pid: Int32 { process.processIdentifier }

    init(trialID: Int64, command: WorkerCommand, arguments: [String], threads: Int, logPath: String, queue: EventQueue) throws {
        self.trialID = trialID
        self.logPath = logPath
        process.executableURL = URL(fileURLWithPath: command.executable)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_NUM_THREADS"] = String(threads)
        process.environment = environment
        if !FileManager.default.fileExists(atPath: logPath) { FileManager.default.createFile(atPath: logPath, contents: nil) }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        log.seekToEndOfFile()
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        let stdout = Pipe()
        process.standardOutput = stdout
        let process = self.process
        reader = Thread {
            // Whole lines only: a line cut by the worker's death is the lost epoch.
            var buffer = Data()
            let handle = stdout.fileHandleForReading
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                buffer.append(chunk)
                while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    let text = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                    buffer.removeSubrange(buffer.startIndex...newline)
                    if !text.trimmingCharacters(in: .whitespaces).isEmpty { queue.push(.line(trialID: trialID, WorkerLine.parse(text))) }
                }
            }
            while process.isRunning { usleep(2_000) }
            queue.push(.exited(trialID: trialID, status: process.terminationStatus,
                               signal: process.terminationReason == .uncaughtSignal))
        }
        try process.run()
        try? log.close()
        reader.start()
    }

    func signal(_ sig: Int32) { if process.isRunning { kill(process.processIdentifier, sig) } }

    /// The last lines the worker wrote on stderr, for the trial's error column.
    func stderrTail() -> String { logTail(logPath) }
}
