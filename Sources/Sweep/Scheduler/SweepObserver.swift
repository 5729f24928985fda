import Foundation

/// Something kept in step with the store while a sweep runs, told by the ledger after each of
/// its writes (the live Optuna journal). An observer reads what it needs from the store; a
/// call that throws is logged and never stops the sweep (the observer repairs itself when it
/// is opened by the next run).
protocol SweepObserver: AnyObject {
    /// Trials were added (`addTrials`): a search's new points.
    func trialsAdded() throws
    /// One trial's state or figures changed (claim, finish, release, prune, cancel).
    func trialChanged(_ trialID: Int64) throws
    /// An epoch was stored.
    func epochRecorded(_ trialID: Int64, _ epoch: EpochRecord) throws
}

extension OptunaSweepJournal: SweepObserver {}

/// `output:` of a spec (and `run --optuna-journal`): files a run keeps up to date as it goes.
/// Remembered with the executor settings, so `lipsweep sync` keeps writing them.
public struct OutputConfig: Equatable, Sendable, Codable {
    /// The live Optuna journal (docs/optuna.md): absolute once the spec is read.
    public var optunaJournal: String?
    /// Its objective (`OptunaObjective.all`): qg by default.
    public var optunaObjective: String = OptunaObjective.qg.name

    public init() {}

    /// The journal of `sweep`, opened (and brought in line with the store), or nil.
    func openJournal(sweep: SweepRecord, store: any TrialStoreReader) throws -> OptunaSweepJournal? {
        guard let path = optunaJournal else { return nil }
        guard let objective = OptunaObjective.named(optunaObjective) else {
            throw InvalidOptunaObjective(name: optunaObjective)
        }
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        return try OptunaSweepJournal(url: url, sweep: sweep, objective: objective, store: store)
    }
}

extension OutputConfig {
    /// Why the Optuna journal cannot be written at `path`, or nil: its directory must exist
    /// and take new files (or the journal itself must take appends). Checked when the spec or
    /// `--optuna-journal` is read, so that a sweep never runs for hours beside a journal it
    /// cannot write. The check writes nothing that stays: it creates and removes one empty file.
    public static func journalProblem(_ path: String) -> (problem: String, fix: String)? {
        let file = URL(fileURLWithPath: path), directory = file.deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else {
            return ("the journal's directory \(directory) does not exist", "create it (mkdir -p \(directory)) or give a path in an existing directory")
        }
        guard isDirectory.boolValue else {
            return ("\(directory) is not a directory", "give a path in a directory")
        }
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            if isDirectory.boolValue { return ("\(path) is a directory", "give the journal a file name, e.g. \(path)/optuna.log") }
            let fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
            guard fd >= 0 else { return ("cannot write \(path) (\(String(cString: strerror(errno))))", "make it writable or give another path") }
            close(fd)
            return nil
        }
        let probe = "\(directory)/.lipsweep-journal-probe-\(getpid())"
        let fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            return ("cannot create files in \(directory) (\(String(cString: strerror(errno))))", "make the directory writable or give another path")
        }
        close(fd)
        unlink(probe)
        return nil
    }
}

struct InvalidOptunaObjective: Error, CustomStringConvertible {
    let name: String
    var description: String { "unknown Optuna objective `\(name)`; use one of \(OptunaObjective.all.map(\.name).joined(separator: ", "))" }
}
