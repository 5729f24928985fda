import Foundation

/// Reads the worker-protocol lines a SLURM worker appended to its spool file and stores
/// them, exactly as the local scheduler stores the lines of a worker's stdout: complete lines
/// only (a line without its newline is still being written, or was cut by the worker's
/// death), each epoch in its own transaction, as an upsert on (trial, epoch). Ingesting the
/// same file again therefore changes nothing, whether by this ingestor (it remembers how far
/// it read) or by a fresh process (which starts at the beginning and rewrites equal rows).
public final class SpoolIngestor {
    let store: any TrialStore
    private var offsets: [Int64: UInt64] = [:]
    private var ends: [Int64: WorkerLine.EndLine] = [:]

    public init(store: any TrialStore) { self.store = store }

    public struct Result: Sendable {
        /// Epoch lines stored by this call (replayed ones included).
        public var epochs: [EpochRecord] = []
        /// Lines that are not the protocol (logged by the caller, never stored).
        public var unrecognised: [String] = []
    }

    /// Ingests what was appended to `file` since the last call for this trial. The trial must
    /// be running (the store refuses epochs otherwise).
    @discardableResult
    public func ingest(trialID: Int64, file: URL) throws -> Result {
        var result = Result()
        let (lines, next) = Self.completeLines(path: file.path, from: offsets[trialID] ?? 0)
        for text in lines {
            switch WorkerLine.parse(text) {
            case let .epoch(record, _):
                try store.recordEpoch(trialID: trialID, record)
                result.epochs.append(record)
            case let .end(end): ends[trialID] = end
            case let .unrecognised(line): result.unrecognised.append(line)
            }
        }
        // Only after every line is stored: a failed write leaves them all for the next call.
        offsets[trialID] = next
        return result
    }

    /// The end line seen in the trial's file, if any.
    public func endState(trialID: Int64) -> String? { ends[trialID]?.state }
    func end(trialID: Int64) -> WorkerLine.EndLine? { ends[trialID] }

    /// The complete, non-blank lines of the file from byte `offset`, and the offset just after
    /// the last newline (where the next read starts).
    public static func completeLines(path: String, from offset: UInt64) -> (lines: [String], next: UInt64) {
        guard let handle = FileHandle(forReadingAtPath: path) else { return ([], offset) }
        defer { try? handle.close() }
        guard (try? handle.seek(toOffset: offset)) != nil, let data = try? handle.readToEnd(), !data.isEmpty,
              let lastNewline = data.lastIndex(of: UInt8(ascii: "\n")) else { return ([], offset) }
        let complete = data[data.startIndex...lastNewline]
        let lines = complete.split(separator: UInt8(ascii: "\n")).map { String(decoding: $0, as: UTF8.self) }
            .filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        return (lines, offset + UInt64(complete.count))
    }
}
