import Foundation
import UserErrors

/// What an Optuna journal file holds, learnt by replaying its operations the way Optuna's
/// `JournalStorageReplayResult` does (optuna/storages/journal/_storage.py), restricted to what
/// a writer needs to continue the file: which studies exist, each trial's id, state,
/// intermediate values and user attributes, and which caller key (`lipsweep_trial`) it has.
///
/// Optuna's rules reproduced here, since the ids of new trials depend on them:
/// - study ids count the CREATE_STUDY lines with a new name (a repeated name is ignored);
/// - trial ids count the CREATE_TRIAL lines of existing studies, over all studies; a trial's
///   number counts the trials of its study;
/// - an update of a finished trial (COMPLETE, PRUNED, FAIL) is ignored, and so is RUNNING on a
///   trial already RUNNING.
struct OptunaJournalReplay {
    struct Trial {
        var id: Int
        var studyID: Int
        var number: Int
        var key: Int?
        var state: OptunaTrialState
        var values: [Double]?
        var intermediateValues: [Int: Double]
        var userAttrs: [String: JSONValue]
    }

    private(set) var studyIDs: [String: Int] = [:]
    /// Each study's `study:metric_names` system attribute (Optuna's `set_metric_names`).
    private(set) var metricNames: [Int: [JSONValue]] = [:]
    static let metricNamesKey = "study:metric_names"
    private(set) var nextStudyID = 0
    private(set) var trials: [Trial] = []
    private var trialCounts: [Int: Int] = [:]

    func lastTrial(study: Int, key: Int) -> Trial? {
        trials.last { $0.studyID == study && $0.key == key }
    }

    /// The last trial of `study` with each key (a key has several trials when a finished
    /// trial was taken up again: docs/optuna.md, "Retries").
    func trialsByKey(study: Int) -> [Int: Trial] {
        var byKey: [Int: Trial] = [:]
        for t in trials where t.studyID == study { if let key = t.key { byKey[key] = t } }
        return byKey
    }

    /// The fields of a journal line this replay reads; the rest of the line is not needed.
    private struct Line: Decodable {
        var opCode: Int
        var studyName: String?
        var studyID: Int?
        var trialID: Int?
        var state: Int?
        var values: [Double]?
        var value: Double?
        var step: Int?
        var intermediateValue: Double?
        var userAttr: [String: JSONValue]?
        var userAttrs: [String: JSONValue]?
        var systemAttr: [String: JSONValue]?
        var intermediateValues: [String: Double]?

        enum CodingKeys: String, CodingKey {
            case opCode = "op_code", studyName = "study_name", studyID = "study_id", trialID = "trial_id", state, values, value
            case step, intermediateValue = "intermediate_value", userAttr = "user_attr", userAttrs = "user_attrs"
            case systemAttr = "system_attr", intermediateValues = "intermediate_values"
        }
    }

    mutating func apply(_ data: Data) throws {
        let line = try JSONDecoder().decode(Line.self, from: data)
        guard let op = OptunaOpCode(rawValue: line.opCode) else { throw Malformed(reason: "unknown op_code \(line.opCode)") }
        switch op {
        case .createStudy:
            guard let name = line.studyName else { throw Malformed(reason: "CREATE_STUDY without study_name") }
            if studyIDs[name] == nil { studyIDs[name] = nextStudyID; nextStudyID += 1 }
        case .deleteStudy:
            if let id = line.studyID, let name = studyIDs.first(where: { $0.value == id })?.key { studyIDs[name] = nil }
        case .createTrial:
            guard let study = line.studyID, studyIDs.values.contains(study) else { return }
            let number = trialCounts[study, default: 0]
            trialCounts[study] = number + 1
            let userAttrs = line.userAttrs ?? [:]
            trials.append(Trial(
                id: trials.count, studyID: study, number: number, key: userAttrs[OptunaTrialDescription.keyAttribute]?.int,
                state: line.state.flatMap(OptunaTrialState.init(rawValue:)) ?? .running,
                values: line.values ?? line.value.map { [$0] },
                intermediateValues: Dictionary((line.intermediateValues ?? [:]).compactMap { k, v in Int(k).map { ($0, v) } }) { $1 },
                userAttrs: userAttrs))
        case .setTrialStateValues:
            guard let id = updatable(line.trialID), let state = line.state.flatMap(OptunaTrialState.init(rawValue:)) else { return }
            if state == .running && trials[id].state == .running { return }
            trials[id].state = state
            if let values = line.values { trials[id].values = values }
        case .setTrialIntermediateValue:
            guard let id = updatable(line.trialID), let step = line.step, let value = line.intermediateValue else { return }
            trials[id].intermediateValues[step] = value
        case .setTrialUserAttr:
            guard let id = updatable(line.trialID) else { return }
            trials[id].userAttrs.merge(line.userAttr ?? [:]) { $1 }
        case .setStudySystemAttr:
            if let id = line.studyID, studyIDs.values.contains(id), case .array(let names)? = line.systemAttr?[Self.metricNamesKey] {
                metricNames[id] = names
            }
        case .setStudyUserAttr, .setTrialParam, .setTrialSystemAttr, .discardTrials:
            return
        }
    }

    private func updatable(_ id: Int?) -> Int? {
        guard let id, trials.indices.contains(id), !trials[id].state.isFinished else { return nil }
        return id
    }

    struct Malformed: Error { var reason: String }
}

/// Reads a journal file: its replay and the length of its complete lines. Bytes after the last
/// newline are the torn end of a write that a killed writer never finished; Optuna's reader
/// skips such a line, and so does this one (the writer cuts it off before appending, since a
/// line appended after it would be glued to it and corrupt both).
struct OptunaJournalFile {
    var replay = OptunaJournalReplay()
    /// Bytes up to and including the last newline.
    var completeLength = 0
    /// Bytes after it (0 for a cleanly written file).
    var tornLength = 0

    static func read(_ url: URL) throws -> OptunaJournalFile {
        var file = OptunaJournalFile()
        guard FileManager.default.fileExists(atPath: url.path) else { return file }
        let data = try Data(contentsOf: url)
        let newline = UInt8(ascii: "\n")
        var start = data.startIndex, lineNumber = 0
        while let end = data[start...].firstIndex(of: newline) {
            lineNumber += 1
            let line = data[start..<end]
            if !line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") }) {
                do { try file.replay.apply(Data(line)) } catch {
                    let reason = (error as? OptunaJournalReplay.Malformed)?.reason ?? "not a JSON operation"
                    throw InvalidInput("\(url.path):\(lineNumber): \(reason); this is not a journal lipsweep can continue — move it aside (`lipsweep export optuna` rewrites a sweep's journal whole)")
                }
            }
            start = data.index(after: end)
        }
        file.completeLength = start - data.startIndex
        file.tornLength = data.endIndex - start
        return file
    }
}
