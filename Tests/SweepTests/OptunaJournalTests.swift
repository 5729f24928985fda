import Foundation
import Sweep
import UserErrors
import Testing

/// A journal's lines, each parsed as a JSON object (fails the test on a line that does not parse).
func journalLines(_ url: URL) throws -> [[String: Any]] {
    let text = try String(contentsOf: url, encoding: .utf8)
    #expect(text.isEmpty || text.hasSuffix("\n"), "a journal ends with a newline")
    return try text.split(separator: "\n").map {
        try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any], "\($0)")
    }
}

func opCodes(_ lines: [[String: Any]]) -> [Int] { lines.map { $0["op_code"] as! Int } }

private func scratchJournal() -> URL {
    URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("optuna-\(UUID().uuidString)").appendingPathComponent("j.log")
}

private let study = OptunaStudyDescription(name: "s", direction: .maximize, metricName: "qg")
private let space: [OptunaParam] = [
    OptunaParam(name: "regularizer", value: .choice("hinge"), distribution: .categorical(["sn", "hinge"])),
    OptunaParam(name: "lr", value: .float(1e-3), distribution: .float(low: 1e-4, high: 1e-2, log: true)),
    OptunaParam(name: "seed", value: .int(2), distribution: .int(low: 1, high: 3)),
]

private func trial(_ key: Int, _ state: OptunaTrialState, value: Double? = nil, curve: [Int: Double] = [:],
                   attrs: [String: JSONValue] = [:]) -> OptunaTrialDescription {
    OptunaTrialDescription(key: key, params: space, state: state, value: value, intermediateValues: curve, userAttrs: attrs,
                           started: Date(timeIntervalSince1970: 1_800_000_000), completed: Date(timeIntervalSince1970: 1_800_000_060.25))
}

@Suite struct OptunaJournalFormatTests {
    @Test func distributionsAreOptunasJSON() {
        #expect(OptunaDistribution.categorical(["sn", "hinge"]).json == #"{"attributes":{"choices":["sn","hinge"]},"name":"CategoricalDistribution"}"#)
        #expect(OptunaDistribution.float(low: 1e-4, high: 0.01, log: true).json
                == #"{"attributes":{"high":0.01,"log":true,"low":0.0001,"step":null},"name":"FloatDistribution"}"#)
        #expect(OptunaDistribution.int(low: 1, high: 3).json == #"{"attributes":{"high":3,"log":false,"low":1,"step":1},"name":"IntDistribution"}"#)
    }

    @Test func aTrialIsOneCreateTrialLineWithItsTemplate() throws {
        let url = scratchJournal()
        let writer = try OptunaJournalWriter(url: url, study: study)
        try writer.update([trial(7, .complete, value: 0.25, curve: [1: 0.5, 2: .nan], attrs: ["l_30": 1.5])])
        let lines = try journalLines(url)
        // CREATE_STUDY, the metric name, then the trial.
        #expect(opCodes(lines) == [0, 3, 4])
        #expect(lines[0]["study_name"] as? String == "s")
        #expect(lines[0]["directions"] as? [Int] == [2])
        #expect(lines[1]["system_attr"] as? [String: [String]] == ["study:metric_names": ["qg"]])
        let t = lines[2]
        #expect(t["study_id"] as? Int == 0)
        #expect(t["state"] as? Int == 1)
        #expect(t["value"] as? Double == 0.25)
        #expect(t["datetime_start"] as? String == "2027-01-15T08:00:00.000000+00:00")
        #expect(t["datetime_complete"] as? String == "2027-01-15T08:01:00.250000+00:00")
        #expect(t["params"] as? [String: Double] == ["regularizer": 1, "lr": 1e-3, "seed": 2])
        #expect((t["distributions"] as? [String: String])?["lr"] == OptunaDistribution.float(low: 1e-4, high: 1e-2, log: true).json)
        // The non-finite point is left out; the key rides along as a user attribute.
        #expect(t["intermediate_values"] as? [String: Double] == ["1": 0.5])
        #expect(t["user_attrs"] as? [String: Double] == ["l_30": 1.5, "lipsweep_trial": 7])
        #expect(writer.optunaNumbers == [7: 0])
    }
}

@Suite struct OptunaJournalWriterTests {
    @Test func eachEventAppendsOnlyWhatChanged() throws {
        let url = scratchJournal()
        let writer = try OptunaJournalWriter(url: url, study: study)
        try writer.update([trial(0, .waiting), trial(1, .waiting)])
        #expect(opCodes(try journalLines(url)) == [0, 3, 4, 4])
        try writer.update([trial(0, .running, attrs: ["attempts": 1])])
        try writer.report(key: 0, step: 1, value: 0.1)
        try writer.report(key: 0, step: 1, value: 0.1)
        try writer.update([trial(0, .complete, value: 0.3, curve: [1: 0.1, 2: 0.2], attrs: ["attempts": 1, "l_30": 2.0])])
        let lines = try journalLines(url)
        // attempts, RUNNING; the epoch once; then l_30, epoch 2, COMPLETE with the value.
        #expect(opCodes(lines) == [0, 3, 4, 4, 8, 6, 7, 8, 7, 6])
        #expect(lines[5]["state"] as? Int == 0 && lines[5]["trial_id"] as? Int == 0 && lines[5]["datetime_start"] != nil)
        #expect(lines[6]["step"] as? Int == 1 && lines[6]["intermediate_value"] as? Double == 0.1)
        #expect(lines[9]["state"] as? Int == 1 && lines[9]["values"] as? [Double] == [0.3] && lines[9]["datetime_complete"] != nil)
        // Updates of a finished trial would be ignored by Optuna: none is written.
        let size = try Data(contentsOf: url).count
        try writer.update([trial(0, .complete, value: 0.3, curve: [1: 0.1, 2: 0.2, 3: 0.4], attrs: ["attempts": 2])])
        try writer.report(key: 0, step: 4, value: 0.5)
        #expect(try Data(contentsOf: url).count == size)
    }

    @Test func reopeningAfterATornLineCutsItOffAndWritesNothingTwice() throws {
        let url = scratchJournal()
        let events = [trial(0, .running, curve: [1: 0.1, 2: 0.2], attrs: ["attempts": 1]), trial(1, .fail, attrs: ["state_reason": "diverged"])]
        do {
            let writer = try OptunaJournalWriter(url: url, study: study)
            try writer.update([trial(0, .waiting), trial(1, .waiting)])
            try writer.update(events)
        }
        let whole = try Data(contentsOf: url)
        // A writer killed in the middle of a line.
        let torn = Data(#"{"op_code":7,"step":3,"trial_id":0,"intermediate_va"#.utf8)
        try (whole + torn).write(to: url)

        let reopened = try OptunaJournalWriter(url: url, study: study)
        #expect(reopened.repairedTornBytes == torn.count)
        #expect(try Data(contentsOf: url) == whole)
        #expect(reopened.optunaNumbers == [0: 0, 1: 1])
        try reopened.update(events)
        #expect(try Data(contentsOf: url) == whole, "nothing the file already says is written again")
        try reopened.report(key: 0, step: 3, value: 0.3)
        let lines = try journalLines(url)
        #expect(lines.filter { $0["op_code"] as? Int == 4 }.count == 2)
        #expect(lines.last?["step"] as? Int == 3 && lines.last?["trial_id"] as? Int == 0)
    }

    @Test func aFinishedTrialTakenUpAgainBecomesAnOptunaRetry() throws {
        let url = scratchJournal()
        let writer = try OptunaJournalWriter(url: url, study: study)
        try writer.update([trial(0, .waiting), trial(1, .fail)])
        try writer.update([trial(1, .waiting)])
        try writer.update([trial(1, .fail)])
        try writer.update([trial(1, .running)])
        let creates = try journalLines(url).filter { $0["op_code"] as? Int == 4 }
        #expect(creates.count == 4)
        #expect(creates.map { ($0["user_attrs"] as? [String: Int])?["lipsweep_trial"] } == [0, 1, 1, 1])
        let retries = creates.suffix(2).map { $0["system_attrs"] as? [String: Any] ?? [:] }
        #expect(retries.map { $0["failed_trial"] as? Int } == [1, 1])
        #expect(retries.map { $0["retry_history"] as? [Int] } == [[1], [1, 2]])
        #expect(writer.optunaNumbers == [0: 0, 1: 3])
    }

    @Test func trialIDsCountTheTrialsOfEveryStudy() throws {
        let url = scratchJournal()
        let other = try OptunaJournalWriter(url: url, study: OptunaStudyDescription(name: "other", direction: .minimize, metricName: "x"))
        try other.update([trial(0, .waiting), trial(1, .waiting)])
        let writer = try OptunaJournalWriter(url: url, study: study)
        try writer.update([trial(0, .waiting)])
        try writer.update([trial(0, .running)])
        let last = try #require(try journalLines(url).last)
        // Optuna numbers the trial 0 in its study, but its id is 2: ids run over all studies.
        #expect(last["op_code"] as? Int == 6 && last["trial_id"] as? Int == 2)
        #expect(writer.optunaNumbers == [0: 0])
    }

    @Test func operationsOnAFinishedTrialAreIgnoredAsOptunaIgnoresThem() throws {
        let url = scratchJournal()
        do {
            let writer = try OptunaJournalWriter(url: url, study: study)
            try writer.update([trial(0, .complete, value: 1)])
        }
        // Another writer's RUNNING and attribute on the finished trial: Optuna drops both.
        let foreign = #"{"op_code":6,"worker_id":"w","trial_id":0,"state":0,"values":null,"datetime_start":"2027-01-15T08:00:00.000000+00:00"}"#
            + "\n" + #"{"op_code":8,"worker_id":"w","trial_id":0,"user_attr":{"x":1}}"# + "\n"
        let handle = try FileHandle(forWritingTo: url)
        handle.seekToEndOfFile(); handle.write(Data(foreign.utf8)); try handle.close()
        let writer = try OptunaJournalWriter(url: url, study: study)
        // Still finished for Optuna, so lipsweep taking it up again makes a retry, not a state change.
        try writer.update([trial(0, .waiting)])
        let last = try #require(try journalLines(url).last)
        #expect(last["op_code"] as? Int == 4 && (last["system_attrs"] as? [String: Any])?["failed_trial"] as? Int == 0)
    }

    @Test func aStudyForAnotherObjectiveIsRefused() throws {
        let url = scratchJournal()
        _ = try OptunaJournalWriter(url: url, study: study)
        let other = OptunaStudyDescription(name: "s", direction: .minimize, metricName: "fpd")
        #expect(throws: InvalidInput.self) { try OptunaJournalWriter(url: url, study: other) }
        // Another study in the same file is fine, and gets the next study id.
        let second = try OptunaJournalWriter(url: url, study: OptunaStudyDescription(name: "t", direction: .minimize, metricName: "fpd"))
        try second.update([trial(0, .waiting)])
        #expect(try journalLines(url).last?["study_id"] as? Int == 1)
    }

    @Test func aCompleteLineThatDoesNotParseIsRefusedWithItsLineNumber() throws {
        let url = scratchJournal()
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try "{\"op_code\":0,\"worker_id\":\"w\",\"study_name\":\"s\",\"directions\":[2]}\nnot json\n".write(to: url, atomically: true, encoding: .utf8)
        do {
            _ = try OptunaJournalWriter(url: url, study: study)
            Issue.record("a corrupt journal was accepted")
        } catch let error as InvalidInput {
            #expect(error.description.contains("j.log:2: not a JSON operation"))
        }
    }
}
