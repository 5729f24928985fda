import Foundation

/// The pieces of Optuna's journal format (`JournalStorage` over `JournalFileBackend`, verified
/// against optuna 5.0.0; docs/optuna.md): one JSON object per line, each an operation that
/// Optuna replays in file order. The enums carry Optuna's own integer codes.
public enum OptunaOpCode: Int, Sendable {
    case createStudy = 0, deleteStudy = 1, setStudyUserAttr = 2, setStudySystemAttr = 3
    case createTrial = 4, setTrialParam = 5, setTrialStateValues = 6, setTrialIntermediateValue = 7
    case setTrialUserAttr = 8, setTrialSystemAttr = 9, discardTrials = 10
}

/// optuna.trial.TrialState.
public enum OptunaTrialState: Int, Sendable, CaseIterable {
    case running = 0, complete = 1, pruned = 2, fail = 3, waiting = 4

    /// Optuna ignores every later update of a finished trial.
    public var isFinished: Bool { self == .complete || self == .pruned || self == .fail }
}

/// optuna.study.StudyDirection.
public enum OptunaDirection: Int, Sendable {
    case minimize = 1, maximize = 2
}

/// A parameter's distribution, as Optuna's `distribution_to_json` writes it (a JSON text
/// inside the JSON line, not a nested object).
public enum OptunaDistribution: Equatable, Sendable {
    case categorical([String])
    case float(low: Double, high: Double, log: Bool)
    case int(low: Int, high: Int)

    public var json: String {
        switch self {
        case .categorical(let choices):
            return JSONValue.object(["name": "CategoricalDistribution",
                                     "attributes": .object(["choices": .array(choices.map(JSONValue.string))])]).text
        case let .float(low, high, log):
            return JSONValue.object(["name": "FloatDistribution",
                                     "attributes": .object(["low": .number(low), "high": .number(high), "log": .bool(log), "step": .null])]).text
        case let .int(low, high):
            return JSONValue.object(["name": "IntDistribution",
                                     "attributes": .object(["low": .int(low), "high": .int(high), "log": false, "step": 1])]).text
        }
    }
}

/// One parameter of a trial: its value and the distribution it was drawn from.
public struct OptunaParam: Equatable, Sendable {
    public enum Value: Equatable, Sendable { case choice(String), float(Double), int(Int) }
    public var name: String
    public var value: Value
    public var distribution: OptunaDistribution

    public init(name: String, value: Value, distribution: OptunaDistribution) {
        self.name = name; self.value = value; self.distribution = distribution
    }

    /// Optuna's internal representation: the index of the choice for a categorical, the
    /// number itself otherwise.
    public var internalValue: JSONValue {
        switch (value, distribution) {
        case let (.choice(c), .categorical(choices)):
            guard let i = choices.firstIndex(of: c) else { preconditionFailure("\(name) = \(c) is not one of \(choices)") }
            return .int(i)
        case let (.float(x), _): return .number(x)
        case let (.int(i), _): return .int(i)
        case (.choice, _): preconditionFailure("\(name): a choice needs a categorical distribution")
        }
    }
}

/// A study: one per sweep.
public struct OptunaStudyDescription: Equatable, Sendable {
    public var name: String
    public var direction: OptunaDirection
    /// The objective's name, shown by optuna-dashboard instead of "Objective 0"
    /// (Optuna's `study.set_metric_names`).
    public var metricName: String
    public var userAttrs: [String: JSONValue]

    public init(name: String, direction: OptunaDirection, metricName: String, userAttrs: [String: JSONValue] = [:]) {
        self.name = name; self.direction = direction; self.metricName = metricName; self.userAttrs = userAttrs
    }
}

/// A trial as it stands now, in Optuna's terms; `key` is the caller's own trial identifier
/// (lipsweep's trial number), kept in the user attribute `lipsweep_trial` so that a reopened
/// journal knows which Optuna trial is which.
public struct OptunaTrialDescription: Equatable, Sendable {
    public var key: Int
    public var params: [OptunaParam]
    public var state: OptunaTrialState
    /// The objective value; written only with state COMPLETE.
    public var value: Double?
    /// Learning curve: step (epoch) → value. Non-finite values are left out (JSON has none).
    public var intermediateValues: [Int: Double]
    public var userAttrs: [String: JSONValue]
    public var started: Date?
    public var completed: Date?

    public init(key: Int, params: [OptunaParam], state: OptunaTrialState, value: Double? = nil,
                intermediateValues: [Int: Double] = [:], userAttrs: [String: JSONValue] = [:],
                started: Date? = nil, completed: Date? = nil) {
        self.key = key; self.params = params; self.state = state; self.value = value
        self.intermediateValues = intermediateValues; self.userAttrs = userAttrs; self.started = started; self.completed = completed
    }

    static let keyAttribute = "lipsweep_trial"
}

/// The operation lines themselves, field for field as optuna/storages/journal/_storage.py
/// writes them (docs/optuna.md lists them).
enum OptunaOperation {
    static func line(_ op: OptunaOpCode, worker: String, _ fields: [String: JSONValue]) -> String {
        JSONValue.object(fields.merging(["op_code": .int(op.rawValue), "worker_id": .string(worker)]) { $1 }).text
    }

    static func createStudy(_ study: OptunaStudyDescription, worker: String) -> String {
        line(.createStudy, worker: worker, ["study_name": .string(study.name), "directions": [.int(study.direction.rawValue)]])
    }

    static func setStudyUserAttr(study: Int, key: String, value: JSONValue, worker: String) -> String {
        line(.setStudyUserAttr, worker: worker, ["study_id": .int(study), "user_attr": .object([key: value])])
    }

    static func setStudySystemAttr(study: Int, key: String, value: JSONValue, worker: String) -> String {
        line(.setStudySystemAttr, worker: worker, ["study_id": .int(study), "system_attr": .object([key: value])])
    }

    /// CREATE_TRIAL with a template trial (Optuna's `add_trial` form): state, params with
    /// their distributions, value, intermediate values and user attributes in one line, so a
    /// trial never exists in the journal without its identity and parameters.
    static func createTrial(study: Int, _ trial: OptunaTrialDescription, systemAttrs: [String: JSONValue] = [:],
                            worker: String) -> String {
        var userAttrs = trial.userAttrs
        userAttrs[OptunaTrialDescription.keyAttribute] = .int(trial.key)
        var fields: [String: JSONValue] = [
            "study_id": .int(study),
            "state": .int(trial.state.rawValue),
            "value": trial.state == .complete ? JSONValue(trial.value) : .null,
            "values": .null,
            // A running trial has a start time in Optuna; a waiting one none.
            "datetime_start": trial.state == .waiting ? .null
                : JSONValue((trial.started ?? (trial.state == .running ? Date() : nil)).map(isoTimestamp)),
            "distributions": .object(Dictionary(uniqueKeysWithValues: trial.params.map { ($0.name, .string($0.distribution.json)) })),
            "params": .object(Dictionary(uniqueKeysWithValues: trial.params.map { ($0.name, $0.internalValue) })),
            "user_attrs": .object(userAttrs),
            "system_attrs": .object(systemAttrs),
            "intermediate_values": .object(Dictionary(uniqueKeysWithValues:
                trial.intermediateValues.filter { $0.value.isFinite }.map { ("\($0.key)", .number($0.value)) })),
        ]
        if trial.state.isFinished { fields["datetime_complete"] = .string(isoTimestamp(trial.completed ?? Date())) }
        return line(.createTrial, worker: worker, fields)
    }

    /// SET_TRIAL_STATE_VALUES: RUNNING carries datetime_start, a finished state
    /// datetime_complete; `values` is the list of objective values or null.
    static func setState(trialID: Int, _ state: OptunaTrialState, value: Double?, at time: Date, worker: String) -> String {
        var fields: [String: JSONValue] = ["trial_id": .int(trialID), "state": .int(state.rawValue),
                                           "values": value.map { [.number($0)] } ?? .null]
        if state == .running { fields["datetime_start"] = .string(isoTimestamp(time)) }
        if state.isFinished { fields["datetime_complete"] = .string(isoTimestamp(time)) }
        return line(.setTrialStateValues, worker: worker, fields)
    }

    static func setIntermediateValue(trialID: Int, step: Int, value: Double, worker: String) -> String {
        line(.setTrialIntermediateValue, worker: worker, ["trial_id": .int(trialID), "step": .int(step), "intermediate_value": .number(value)])
    }

    static func setUserAttr(trialID: Int, key: String, value: JSONValue, worker: String) -> String {
        line(.setTrialUserAttr, worker: worker, ["trial_id": .int(trialID), "user_attr": .object([key: value])])
    }

    /// Python's `datetime.isoformat(timespec="microseconds")` of a UTC time, as Optuna writes.
    static func isoTimestamp(_ date: Date) -> String {
        let micros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
        let seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        let fraction = micros - seconds * 1_000_000
        var t = time_t(seconds), parts = tm()
        gmtime_r(&t, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%06d+00:00", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                      Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), Int(fraction))
    }
}
