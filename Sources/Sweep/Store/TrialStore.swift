import Foundation
import TrialProtocol

/// Read access to a results store: everything `status`, `query`, `export` and `report` need,
/// so a second backend serves them too. Readers may run while another process writes and see
/// only committed data.
public protocol TrialStoreReader: Sendable {
    func sweep(named name: String) throws -> SweepRecord?
    /// Every sweep, oldest first.
    func sweeps() throws -> [SweepRecord]
    /// A sweep's trials in number order.
    func trials(sweepID: Int64) throws -> [TrialRecord]
    func trial(id: Int64) throws -> TrialRecord?
    /// A trial's epochs in epoch order.
    func epochs(trialID: Int64) throws -> [EpochRecord]
    /// Every epoch of a sweep's trials, by trial id (one read for the whole sweep).
    func epochs(sweepID: Int64) throws -> [Int64: [EpochRecord]]
    /// The Appendix C histograms a completed trial's worker sent (its last epoch's), if any.
    func histograms(trialID: Int64) throws -> HistogramsLine?
    /// The successive-halving decisions of a sweep's trials, in the order they were made.
    func rungDecisions(sweepID: Int64) throws -> [RungDecision]
}

/// Where a sweep's trials and epochs are kept. SQLiteTrialStore is the backend; another one
/// must follow the same rules, which the contract tests (Tests/SweepTests) check against
/// every backend:
///
/// 1. One transaction per call: a call either happens entirely or not at all.
/// 2. Trials are identified by (sweep, config_hash); `addTrials` inserts only hashes not yet
///    present, numbering them after the existing ones, and never touches existing trials.
/// 3. States move only along `TrialState.canMove(to:)`: pending → running → completed |
///    diverged | failed | pruned, running → pending (`release`: a retry, a clean stop, a
///    crashed scheduler or a trial that waits at a rung), pending → pruned (a waiting trial), pending or running → cancelled, and failed or cancelled → pending
///    (`requeue`). Any other move throws `StoreError.invalidTransition` and changes nothing;
///    in particular a pruned trial is never resumed.
/// 4. `recordEpoch` is an upsert on (trial, epoch): storing the same line twice leaves one
///    row; it is accepted only while the trial is running.
/// 5. `claim` increments `attempts`; a release that was not the worker's fault
///    (`countsAsAttempt: false`) gives the attempt back.
/// 6. `assignWorker` records the process or cluster job running a trial's current attempt;
///    `claim` clears both, so they always belong to the current attempt.
/// 7. A stored value the store does not know (a state, a regularizer) is an error naming it
///    (`StoreError.unknownValue`), never silently read as something else.
/// 8. `recordRungDecision` keeps one successive-halving decision per (trial, rung), made while
///    the trial runs or waits at the rung (pending: `pruning.min_trials`), which a `continue`
///    leaves as it is; a second one for the same pair throws `StoreError.duplicateDecision`.
///    A `prune` decision ends the trial as `pruned` (with its QG figures) in the same
///    transaction, so the decision and its effect are stored together or not at all; decisions
///    read back in the order they were made (`RungDecision.sequence`).
/// 9. `updateSearch` stores the sweep's search and pruning settings (JSON), from which `sync`
///    rebuilds them: the database alone holds a search's state.
public protocol TrialStore: TrialStoreReader {
    func createSweep(name: String, specText: String, specHash: String, codeVersion: String) throws -> SweepRecord
    func updateSpec(sweepID: Int64, specText: String, specHash: String) throws
    /// The effective executor settings (JSON of ExecutorConfig) the sweep was last run with.
    func updateExecutor(sweepID: Int64, executorJSON: String) throws
    @discardableResult func addTrials(sweepID: Int64, _ planned: [PlannedTrial]) throws -> Int
    func claim(trialID: Int64, workerPID: Int32?) throws
    /// Records the worker process (local) or the cluster job "ARRAYJOB_TASK" (SLURM) of a
    /// running trial's current attempt.
    func assignWorker(trialID: Int64, pid: Int32?, jobID: String?) throws
    func recordEpoch(trialID: Int64, _ epoch: EpochRecord) throws
    /// Stores a trial's histograms line: an upsert on (trial, epoch), only while it runs (rule 4).
    func recordHistograms(trialID: Int64, _ line: HistogramsLine) throws
    func finish(trialID: Int64, _ outcome: TrialOutcome) throws
    func release(trialID: Int64, error: String?, countsAsAttempt: Bool) throws
    func cancel(trialID: Int64) throws
    func requeue(trialID: Int64) throws
    /// The search (`BoundarySearch` JSON; nil for a grid) and pruning (`PruningSettings` JSON;
    /// nil for none) the sweep was last run with.
    func updateSearch(sweepID: Int64, searchJSON: String?, pruningJSON: String?) throws
    /// Rule 8: stores `decision` (its `sequence` is assigned); when it prunes, `pruned` is the
    /// trial's outcome (state `.pruned`, its QG figures), stored in the same transaction.
    func recordRungDecision(_ decision: RungDecision, pruned: TrialOutcome?) throws
}

public enum TrialState: String, Codable, CaseIterable, Sendable {
    /// `pruned`: stopped by successive halving at a rung (its epochs kept, its QG computed,
    /// never resumed); not an error and not a failure.
    case pending, running, completed, failed, diverged, cancelled, pruned

    /// Completed, diverged and pruned trials are never run again; their results count.
    public var isFinished: Bool { self == .completed || self == .diverged || self == .pruned }
    /// Ended one way or another: nothing is running and nothing will run without `requeue`.
    public var isTerminal: Bool { isFinished || self == .failed || self == .cancelled }
    /// Ended by its worker's own end line or by failing: the states `finish` takes.
    public var isEnding: Bool { self == .completed || self == .diverged || self == .failed }

    /// The state machine of rule 3, the one definition every backend enforces.
    public func canMove(to target: TrialState) -> Bool {
        switch (self, target) {
        case (.pending, .running), (.running, .pending), (.running, .running): true
        case (.running, let end) where end.isEnding: true
        // A trial waiting at a rung (pruning.min_trials) is pending: decided there, it stays
        // pending (goes on) or is pruned.
        case (.running, .pruned), (.pending, .pruned), (.pending, .pending): true
        case (.pending, .cancelled), (.running, .cancelled): true
        case (.failed, .pending), (.cancelled, .pending): true
        default: false
        }
    }
}

public enum StoreError: Error, CustomStringConvertible, Equatable {
    case invalidTransition(trial: Int64, from: String, to: String)
    case noSuchTrial(Int64)
    case newerSchema(found: Int, known: Int, path: String)
    /// A stored value this lipsweep does not know: which trial, which column, the value.
    case unknownValue(trial: Int64, column: String, value: String)
    /// Rule 8: the trial already has a decision at this rung.
    case duplicateDecision(trial: Int64, rung: Int)
    /// A sweep setting stored as JSON (`search_json`, `pruning_json`) this lipsweep cannot read.
    case unknownSetting(sweep: String, column: String, value: String)

    public var description: String {
        switch self {
        case let .invalidTransition(trial, from, to): return "trial \(trial): cannot go from \(from) to \(to)"
        case let .noSuchTrial(id): return "no trial with id \(id)"
        case let .newerSchema(found, known, path):
            return "\(path): schema version \(found) is newer than this lipsweep knows (\(known)); use a newer lipsweep"
        case let .unknownValue(trial, column, value):
            return "trial \(trial): the database holds \(column) '\(value)', which this lipsweep does not know (was it written by a newer lipsweep, or edited by hand?)"
        case let .duplicateDecision(trial, rung):
            return "trial \(trial): a successive-halving decision at epoch \(rung) is already stored"
        case let .unknownSetting(sweep, column, value):
            return "sweep \(sweep): the database holds sweeps.\(column) '\(value.prefix(200))', which this lipsweep cannot read (was it written by a newer lipsweep?)"
        }
    }
}

public struct SweepRecord: Equatable, Sendable {
    public var id: Int64
    public var name: String
    public var specText: String
    public var specHash: String
    public var codeVersion: String
    public var createdAt: String
    /// JSON of the ExecutorConfig of the last `run` (nil before schema v2 or before any run).
    public var executorJSON: String? = nil
    /// JSON of the search of the last `run`, tagged with its kind (SearchKinds; nil: a grid run
    /// before the tag, or before schema v3; untagged JSON: a boundary search of before the tag).
    public var searchJSON: String? = nil
    /// JSON of the PruningSettings of the last `run` (nil: no pruning).
    public var pruningJSON: String? = nil

    public init(id: Int64, name: String, specText: String, specHash: String, codeVersion: String, createdAt: String,
                executorJSON: String? = nil, searchJSON: String? = nil, pruningJSON: String? = nil) {
        self.id = id; self.name = name; self.specText = specText; self.specHash = specHash
        self.codeVersion = codeVersion; self.createdAt = createdAt; self.executorJSON = executorJSON
        self.searchJSON = searchJSON; self.pruningJSON = pruningJSON
    }

    /// The executor settings of the last `run`, if the sweep was run.
    public var executor: ExecutorConfig? {
        executorJSON.flatMap { try? JSONDecoder().decode(ExecutorConfig.self, from: Data($0.utf8)) }
    }
}

/// One row of `trials` (the public schema, README "Storage", plus lambda, two_over_l_30,
/// two_over_m, worker_pid, job_id).
public struct TrialRecord: Equatable, Sendable {
    public var id: Int64
    public var sweepID: Int64
    public var number: Int
    public var configHash: String
    /// The trial config the worker receives, decoded from `params_json`.
    public var config: TrialConfig
    public var state: TrialState
    public var attempts: Int
    public var error: String?
    public var startedAt: String?
    public var finishedAt: String?
    public var qg: Double?
    public var qgSlope: Double?
    public var l30: Double?
    public var twoOverL30: Double?
    public var twoOverM: Double?
    public var lrWithinBound: Bool?
    public var workerPID: Int32?
    /// The SLURM job of the current (or last) attempt: "ARRAYJOB_TASK".
    public var jobID: String? = nil

    public init(id: Int64, sweepID: Int64, number: Int, configHash: String, config: TrialConfig, state: TrialState,
                attempts: Int, error: String? = nil, startedAt: String? = nil, finishedAt: String? = nil, qg: Double? = nil,
                qgSlope: Double? = nil, l30: Double? = nil, twoOverL30: Double? = nil, twoOverM: Double? = nil,
                lrWithinBound: Bool? = nil, workerPID: Int32? = nil, jobID: String? = nil) {
        self.id = id; self.sweepID = sweepID; self.number = number; self.configHash = configHash; self.config = config
        self.state = state; self.attempts = attempts; self.error = error; self.startedAt = startedAt
        self.finishedAt = finishedAt; self.qg = qg; self.qgSlope = qgSlope; self.l30 = l30; self.twoOverL30 = twoOverL30
        self.twoOverM = twoOverM; self.lrWithinBound = lrWithinBound; self.workerPID = workerPID; self.jobID = jobID
    }

    public var regularizer: RegularizerKind { config.training.regularizer }
    public var loss: AdversarialLoss { config.training.loss }
    public var arch: Architecture { config.model.architecture }
    public var margin: Double? { config.training.margin }
    public var alpha: Double? { config.training.alpha }
    public var lambda: Double? { config.training.lambda }
    public var lr: Double { config.training.lr }
    public var seed: Int { config.training.seed }
    public var paramsJSON: String { String(decoding: config.canonicalJSON, as: UTF8.self) }
}

/// One epoch line of the worker protocol, as stored in `epochs`: a value per EpochField that
/// the worker sent (absent = NULL) and D's scales k.
public struct EpochRecord: Equatable, Sendable {
    public var epoch: Int
    public var values: [EpochField: Double]
    public var k: [Double]

    public init(epoch: Int, values: [EpochField: Double] = [:], k: [Double] = []) {
        self.epoch = epoch; self.values = values; self.k = k
    }

    public init(epoch: Int, dLoss: Double? = nil, gLoss: Double? = nil, regLoss: Double? = nil, rawPRD: Double? = nil,
                physPRD: Double? = nil, lipschitzBound: Double? = nil, lipschitzEmpirical: Double? = nil, k: [Double] = [],
                kProduct: Double? = nil, trainSeconds: Double? = nil, evalSeconds: Double? = nil) {
        self.init(epoch: epoch, k: k)
        let given: [(EpochField, Double?)] = [(.dLoss, dLoss), (.gLoss, gLoss), (.regLoss, regLoss), (.rawPRD, rawPRD),
                                             (.physPRD, physPRD), (.lipschitzBound, lipschitzBound),
                                             (.lipschitzEmpirical, lipschitzEmpirical), (.kProduct, kProduct),
                                             (.trainSeconds, trainSeconds), (.evalSeconds, evalSeconds)]
        for (field, value) in given { values[field] = value }
    }

    public subscript(field: EpochField) -> Double? {
        get { values[field] }
        set { values[field] = newValue }
    }

    public var rawPRD: Double? { get { self[.rawPRD] } set { self[.rawPRD] = newValue } }
    public var physPRD: Double? { get { self[.physPRD] } set { self[.physPRD] = newValue } }
    public var lipschitzBound: Double? { get { self[.lipschitzBound] } set { self[.lipschitzBound] = newValue } }
    public var evalSeconds: Double? { get { self[.evalSeconds] } set { self[.evalSeconds] = newValue } }

    /// The value of a trial's QG metric at this epoch.
    public func metric(_ metric: QualityMetric) -> Double? { metric.value { self[$0] } }
}

/// One decision of successive halving (a row of `rung_decisions`): when a running trial
/// reached epoch `rung`, its metric `value` ranked among the `reached` trials that had reached
/// that rung so far (itself included), of which the best `kept` continue.
public struct RungDecision: Equatable, Sendable {
    public enum Verdict: String, Sendable { case `continue`, prune }
    public var trialID: Int64
    public var rung: Int
    /// The pruning metric's name (`best_prd`, `phys_prd`, …).
    public var metric: String
    /// Its value over epochs 1…rung; nil when the trial has none (ranks last).
    public var value: Double?
    public var reached: Int
    public var kept: Int
    public var verdict: Verdict
    /// The order in which decisions were made (assigned by the store; 0 before).
    public var sequence: Int64 = 0

    public init(trialID: Int64, rung: Int, metric: String, value: Double?, reached: Int, kept: Int, verdict: Verdict,
                sequence: Int64 = 0) {
        self.trialID = trialID; self.rung = rung; self.metric = metric; self.value = value; self.reached = reached
        self.kept = kept; self.verdict = verdict; self.sequence = sequence
    }
}

/// How a trial ended, with the QG figures the scheduler computed from its stored epochs.
public struct TrialOutcome: Equatable, Sendable {
    public var state: TrialState            // completed | diverged | failed | pruned
    public var error: String?
    public var qg: TrialQualityGain?

    public init(state: TrialState, error: String? = nil, qg: TrialQualityGain? = nil) {
        self.state = state; self.error = error; self.qg = qg
    }
}
