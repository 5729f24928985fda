import Foundation

/// Reads the worker-protocol lines a SLURM worker appended to its spool file, as the local
/// executor reads a worker's stdout: complete lines only (a line without its newline is still
/// being written, or was cut by the worker's death). It remembers how far it read per trial;
/// a fresh reader starts at the beginning, and since the store upserts epochs on (trial,
/// epoch), reading a file twice changes nothing.
public final class SpoolReader {
    private var offsets: [Int64: UInt64] = [:]

    public init() {}

    /// The lines appended to `file` since the last call for this trial.
    public func read(trialID: Int64, file: URL) -> [WorkerLine] {
        let (lines, next) = Self.completeLines(path: file.path, from: offsets[trialID] ?? 0)
        offsets[trialID] = next
        return lines.map(WorkerLine.parse)
    }

    /// The complete, non-blank lines of the file from byte `offset`, and the offset just after
    /// the last newline (where the next read starts).
    static func completeLines(path: String, from offset: UInt64) -> (lines: [String], next: UInt64) {
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
