import Foundation

/// Where a sweep's trials and epochs are kept. SQLiteTrialStore is the backend; a second one
/// (e.g. a server database) must follow the same rules, which the contract tests check:
///
/// 1. One transaction per call: a call either happens entirely or not at all.
/// 2. Trials are identified by (sweep, config_hash); `addTrials` inserts only hashes not yet
///    present, numbering them after the existing ones, and never touches existing trials.
/// 3. States move only along pending → running → completed | diverged | failed,
///    running → pending (`release`: a retry, a clean stop or a crashed scheduler), pending
///    or running → cancelled, and failed or cancelled → pending (`requeue`). Any other move
///    throws `StoreError.invalidTransition` and changes nothing.
/// 4. `recordEpoch` is an upsert on (trial, epoch): storing the same line twice leaves one
///    row; it is accepted only while the trial is running.
/// 5. `claim` increments `attempts`; a release that was not the worker's fault
///    (`countsAsAttempt: false`) gives the attempt back.
/// 6. `assignJob` records the cluster job of a running trial's attempt (SLURM executor);
///    `claim` clears it, so a job id always belongs to the current attempt.
/// 7. Readers (`trials`, `epochs`, `sweep`) may run while another process writes and see
///    only committed data.
public protocol TrialStore: Sendable {
    func sweep(named name: String) throws -> SweepRecord?
    func sweeps() throws -> [SweepRecord]
    func createSweep(name: String, specText: String, specHash: String, codeVersion: String) throws -> SweepRecord
    func updateSpec(sweepID: Int64, specText: String, specHash: String) throws
    /// The effective executor settings (JSON of ExecutorConfig) the sweep was last run with.
    func updateExecutor(sweepID: Int64, executorJSON: String) throws
    @discardableResult func addTrials(sweepID: Int64, _ planned: [PlannedTrial]) throws -> Int
    func trials(sweepID: Int64) throws -> [TrialRecord]
    func trial(id: Int64) throws -> TrialRecord?
    func claim(trialID: Int64, workerPID: Int32?) throws
    func assignJob(trialID: Int64, jobID: String) throws
    func recordEpoch(trialID: Int64, _ epoch: EpochRecord) throws
    func finish(trialID: Int64, _ outcome: TrialOutcome) throws
    func release(trialID: Int64, error: String?, countsAsAttempt: Bool) throws
    func cancel(trialID: Int64) throws
    func requeue(trialID: Int64) throws
    func epochs(trialID: Int64) throws -> [EpochRecord]
}

public enum TrialState: String, Codable, CaseIterable, Sendable {
    case pending, running, completed, failed, diverged, cancelled

    /// Completed and diverged trials are never run again.
    public var isFinished: Bool { self == .completed || self == .diverged }
    /// Ended one way or another: nothing is running and nothing will run without `requeue`.
    public var isTerminal: Bool { isFinished || self == .failed || self == .cancelled }
}

public enum StoreError: Error, CustomStringConvertible, Equatable {
    case invalidTransition(trial: Int64, from: String, to: String)
    case noSuchTrial(Int64)
    case newerSchema(found: Int, known: Int, path: String)

    public var description: String {
        switch self {
        case let .invalidTransition(trial, from, to): return "trial \(trial): cannot go from \(from) to \(to)"
        case let .noSuchTrial(id): return "no trial with id \(id)"
        case let .newerSchema(found, known, path):
            return "\(path): schema version \(found) is newer than this lipsweep knows (\(known)); use a newer lipsweep"
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
}

/// One row of `trials` (SPEC §9 plus the extra columns lambda, two_over_l_30, two_over_m,
/// worker_pid).
public struct TrialRecord: Equatable, Sendable {
    public var id: Int64
    public var sweepID: Int64
    public var number: Int
    public var configHash: String
    public var paramsJSON: String
    public var regularizer: String
    public var loss: String
    public var margin: Double?
    public var alpha: Double?
    public var lambda: Double?
    public var lr: Double
    public var seed: Int
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

    /// The trial config the worker receives, decoded from `params_json`.
    public var config: TrialConfig? { try? JSONDecoder().decode(TrialConfig.self, from: Data(paramsJSON.utf8)) }
}

/// One epoch line of the worker protocol, as stored in `epochs`.
public struct EpochRecord: Equatable, Sendable {
    public var epoch: Int
    public var dLoss: Double?
    public var gLoss: Double?
    public var regLoss: Double?
    public var rawPRD: Double?
    public var physPRD: Double?
    public var lipschitzBound: Double?
    public var lipschitzEmpirical: Double?
    public var k: [Double]
    public var kProduct: Double?
    public var trainSeconds: Double?
    public var evalSeconds: Double?

    public init(epoch: Int, dLoss: Double? = nil, gLoss: Double? = nil, regLoss: Double? = nil, rawPRD: Double? = nil,
                physPRD: Double? = nil, lipschitzBound: Double? = nil, lipschitzEmpirical: Double? = nil, k: [Double] = [],
                kProduct: Double? = nil, trainSeconds: Double? = nil, evalSeconds: Double? = nil) {
        self.epoch = epoch; self.dLoss = dLoss; self.gLoss = gLoss; self.regLoss = regLoss; self.rawPRD = rawPRD
        self.physPRD = physPRD; self.lipschitzBound = lipschitzBound; self.lipschitzEmpirical = lipschitzEmpirical
        self.k = k; self.kProduct = kProduct; self.trainSeconds = trainSeconds; self.evalSeconds = evalSeconds
    }
}

/// How a trial ended, with the QG figures the scheduler computed from its stored epochs.
public struct TrialOutcome: Equatable, Sendable {
    public var state: TrialState            // completed | diverged | failed
    public var error: String?
    public var qg: TrialQualityGain?

    public init(state: TrialState, error: String? = nil, qg: TrialQualityGain? = nil) {
        self.state = state; self.error = error; self.qg = qg
    }
}
