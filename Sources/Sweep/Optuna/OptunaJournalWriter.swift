import Foundation
import UserErrors

/// Writes one study into an Optuna journal file, append-only, and continues a file it (or an
/// earlier run) wrote: on opening it replays the file to learn which trials exist, cuts off a
/// torn last line, and from then on appends only the operations that bring each Optuna trial
/// in line with its description. Every call ends with one write and an fsync, so a reader
/// (optuna-dashboard, `optuna.load_study`) sees whole operations, in order.
///
/// Append-only, never rewritten in place: a dashboard keeps its read position in the file
/// between refreshes, so earlier lines must never change under it (docs/optuna.md).
public final class OptunaJournalWriter {
    public let url: URL
    public let study: OptunaStudyDescription
    /// Bytes of a torn last line cut off on opening (a writer killed mid-write); 0 normally.
    public let repairedTornBytes: Int

    private var replay: OptunaJournalReplay
    private let studyID: Int
    /// Optuna's worker id of this writer's lines; Optuna only compares it with its own.
    private let worker = "lipsweep-\(UUID().uuidString)"
    private let fd: Int32
    private var pending: [String] = []

    /// Opens `url` (creating it and its folder when missing) and creates the study unless the
    /// file has it. A study of that name written for another objective is refused.
    public init(url: URL, study: OptunaStudyDescription) throws {
        self.url = url
        self.study = study
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let file = try OptunaJournalFile.read(url)
        if let id = file.replay.studyIDs[study.name], let names = file.replay.metricNames[id], names != [.string(study.metricName)] {
            throw InvalidInput("\(url.path): its study \"\(study.name)\" has the objective \(names.map(\.text).joined(separator: ", ")), not \(study.metricName); give another journal file, or the same --objective as before")
        }
        if file.tornLength > 0 && truncate(url.path, off_t(file.completeLength)) != 0 {
            throw JournalWriteError(path: url.path, what: "cut off its torn last line", code: errno)
        }
        replay = file.replay
        repairedTornBytes = file.tornLength
        fd = open(url.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw InvalidInput("\(url.path): cannot open the Optuna journal for writing (\(String(cString: strerror(errno)))); check the path and its permissions")
        }
        if let id = replay.studyIDs[study.name] {
            studyID = id
        } else {
            studyID = replay.nextStudyID
            emit(OptunaOperation.createStudy(study, worker: worker))
            emit(OptunaOperation.setStudySystemAttr(study: studyID, key: OptunaJournalReplay.metricNamesKey,
                                                    value: [.string(study.metricName)], worker: worker))
            for key in study.userAttrs.keys.sorted() {
                emit(OptunaOperation.setStudyUserAttr(study: studyID, key: key, value: study.userAttrs[key]!, worker: worker))
            }
            try flush()
        }
    }

    deinit { close(fd) }

    /// Brings the journal's trial of each description in line with it: creates a missing trial
    /// (one CREATE_TRIAL line holding all it has), sets changed user attributes and
    /// intermediate values, then the state (last: a finished Optuna trial takes no update).
    /// A finished Optuna trial whose description is no longer finished (lipsweep requeued a
    /// failed or cancelled trial) gets a new Optuna trial, marked as Optuna's
    /// RetryFailedTrialCallback marks retries. `time` stamps state changes without a time
    /// of their own.
    public func update(_ trials: [OptunaTrialDescription], at time: Date = Date()) throws {
        for trial in trials { sync(trial, at: time) }
        try flush()
    }

    /// One intermediate value (a finished epoch): the cheap path of `update`.
    public func report(key: Int, step: Int, value: Double) throws {
        guard value.isFinite, let t = replay.lastTrial(study: studyID, key: key), !t.state.isFinished,
              t.intermediateValues[step] != value else { return }
        emit(OptunaOperation.setIntermediateValue(trialID: t.id, step: step, value: value, worker: worker))
        try flush()
    }

    /// The Optuna trial number of each key (its latest trial), as Optuna numbers them.
    public var optunaNumbers: [Int: Int] { replay.trialsByKey(study: studyID).mapValues(\.number) }

    private func sync(_ trial: OptunaTrialDescription, at time: Date) {
        guard let existing = replay.lastTrial(study: studyID, key: trial.key) else {
            emit(OptunaOperation.createTrial(study: studyID, trial, worker: worker))
            return
        }
        if existing.state.isFinished {
            guard !trial.state.isFinished else { return }
            let earlier = replay.trials.filter { $0.studyID == studyID && $0.key == trial.key }.map(\.number)
            emit(OptunaOperation.createTrial(study: studyID, trial, systemAttrs: [
                "failed_trial": .int(earlier[0]), "retry_history": .array(earlier.map(JSONValue.int)),
            ], worker: worker))
            return
        }
        for key in trial.userAttrs.keys.sorted() where existing.userAttrs[key] != trial.userAttrs[key] {
            emit(OptunaOperation.setUserAttr(trialID: existing.id, key: key, value: trial.userAttrs[key]!, worker: worker))
        }
        for step in trial.intermediateValues.keys.sorted() {
            let value = trial.intermediateValues[step]!
            if value.isFinite && existing.intermediateValues[step] != value {
                emit(OptunaOperation.setIntermediateValue(trialID: existing.id, step: step, value: value, worker: worker))
            }
        }
        guard trial.state != existing.state else { return }
        let stamp = trial.state == .running ? trial.started : trial.completed
        emit(OptunaOperation.setState(trialID: existing.id, trial.state, value: trial.state == .complete ? trial.value : nil,
                                      at: stamp ?? time, worker: worker))
    }

    /// Queues a line and replays it, so this writer's view of the file is Optuna's.
    private func emit(_ line: String) {
        // Lines this writer makes always parse; a failure here is a bug in OptunaOperation.
        do { try replay.apply(Data(line.utf8)) } catch { preconditionFailure("unreadable journal line \(line): \(error)") }
        pending.append(line)
    }

    private func flush() throws {
        guard !pending.isEmpty else { return }
        let bytes = Array((pending.joined(separator: "\n") + "\n").utf8)
        pending.removeAll()
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, bytes.count - written) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw JournalWriteError(path: url.path, what: "append to it", code: errno) }
            written += n
        }
        guard fsync(fd) == 0 else { throw JournalWriteError(path: url.path, what: "fsync it", code: errno) }
    }

    /// Writes `trials` as a new journal at `url` whole: into a temporary file beside it, then
    /// renamed over it, so a reader sees the old file or the new one, never half of one.
    public static func writeWhole(to url: URL, study: OptunaStudyDescription, trials: [OptunaTrialDescription]) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        try? FileManager.default.removeItem(at: temporary)
        do {
            try OptunaJournalWriter(url: temporary, study: study).update(trials)
            guard rename(temporary.path, url.path) == 0 else { throw JournalWriteError(path: url.path, what: "replace it", code: errno) }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
    }
}

/// A journal file that could not be written: a runtime failure (disk full, permissions
/// changed under a running sweep).
public struct JournalWriteError: Error, CustomStringConvertible {
    public var path: String
    public var what: String
    public var code: Int32
    public var description: String { "\(path): cannot \(what): \(String(cString: strerror(code)))" }
}
