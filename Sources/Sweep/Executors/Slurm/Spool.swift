import DurableFiles
import Foundation
import UserErrors

/// The spool directory of a SLURM sweep, on a filesystem the nodes share (docs/worker-protocol.md,
/// "The spool"). Workers write only here; the scheduler alone writes the SQLite database.
///
///     SPOOL/manifest.json                  trial number → trial directory, threads, executor.worker
///     SPOOL/<number>-<hash12>/trial.json   the trial config
///     SPOOL/<number>-<hash12>/lines.jsonl  the worker-protocol lines, appended, one write per line
///     SPOOL/<number>-<hash12>/worker.log   the trainer's stderr
///     SPOOL/<number>-<hash12>/exit.json    {"job":"12_3","status":0,"signal":false}, after the trainer exits
///     SPOOL/<number>-<hash12>/…            the trainer's checkpoint
///     SPOOL/jobs/<job name>-<n>.sh         the batch scripts submitted
///     SPOOL/slurm/<job>_<task>.out         SLURM's output of each task
public struct Spool: Sendable {
    public let url: URL
    public init(_ url: URL) { self.url = url }

    /// RESULTS/spool/<sweep>/ unless the spec or the command line names another directory.
    public static func directory(results: ResultsDirectory, sweep: String, override: String?) -> URL {
        if let override { return URL(fileURLWithPath: override, isDirectory: true).standardizedFileURL }
        return results.url.appendingPathComponent("spool").appendingPathComponent(sweep).standardizedFileURL
    }

    public var manifestFile: URL { url.appendingPathComponent("manifest.json") }
    public var jobsDirectory: URL { url.appendingPathComponent("jobs") }
    public func trialDirectory(_ trial: TrialRecord) -> URL { LocalExecutor.trialDirectory(url, trial) }
    public static func linesFile(_ trialDirectory: URL) -> URL { trialDirectory.appendingPathComponent("lines.jsonl") }
    public static func exitFile(_ trialDirectory: URL) -> URL { trialDirectory.appendingPathComponent("exit.json") }

    public struct Manifest: Codable, Equatable, Sendable {
        public var sweep: String
        public var threads: Int
        /// Trial number (the array task id) → its directory name under the spool.
        public var trials: [String: String]
        /// The spec's `executor.worker` (nil: `lipsweep train`, or LIPSWEEP_WORKER of the batch script).
        public var worker: [String]?
        public init(sweep: String, threads: Int, trials: [String: String], worker: [String]? = nil) {
            self.sweep = sweep; self.threads = threads; self.trials = trials; self.worker = worker
        }
    }

    /// Written durably (DurableFile): a worker starting meanwhile, or after a crash, reads the
    /// old manifest or the new one, whole.
    public func write(_ manifest: Manifest) throws {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        try DurableFile.write(try encoder.encode(manifest), to: manifestFile)
    }

    public func readManifest() throws -> Manifest {
        guard let data = FileManager.default.contents(atPath: manifestFile.path) else {
            throw InvalidInput("\(manifestFile.path): no spool manifest; give the --spool directory `lipsweep run` submitted from")
        }
        do { return try JSONDecoder().decode(Manifest.self, from: data) } catch {
            throw InvalidInput("\(manifestFile.path): not a lipsweep spool manifest (\(error)); give the right --spool directory")
        }
    }

    /// How a worker's trainer process ended, written by `lipsweep worker` after it exits.
    public struct ExitRecord: Codable, Equatable, Sendable {
        public var job: String
        public var status: Int32
        public var signal: Bool
        public init(job: String, status: Int32, signal: Bool) { self.job = job; self.status = status; self.signal = signal }
    }

    static func readExit(_ trialDirectory: URL) -> (record: ExitRecord, written: Date)? {
        let file = exitFile(trialDirectory)
        guard let data = FileManager.default.contents(atPath: file.path),
              let record = try? JSONDecoder().decode(ExitRecord.self, from: data) else { return nil }
        let date = (try? FileManager.default.attributesOfItem(atPath: file.path)[.modificationDate] as? Date) ?? Date()
        return (record, date)
    }
}
