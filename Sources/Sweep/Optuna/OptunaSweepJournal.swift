import Foundation

/// A sweep's Optuna journal, kept in step with its store: `export` writes it whole; a
/// scheduler opens it at the start of a run and reports every change of a trial as it is
/// stored (docs/optuna.md, "The live journal"). Every method reads what it needs from the
/// store, so a call after any store write leaves the journal showing what the store holds.
public final class OptunaSweepJournal {
    public let writer: OptunaJournalWriter
    private var mapping: OptunaSweepMapping
    private let store: any TrialStoreReader
    private let sweep: SweepRecord

    /// Opens (or creates) the journal at `url` and brings every trial of the sweep in line
    /// with the store: after a crash this appends what the killed run stored but did not
    /// journal, and nothing it journaled already.
    public init(url: URL, sweep: SweepRecord, objective: OptunaObjective, store: any TrialStoreReader) throws {
        self.store = store
        self.sweep = sweep
        let trials = try store.trials(sweepID: sweep.id)
        mapping = OptunaSweepMapping(sweepName: sweep.name, objective: objective, trials: trials)
        writer = try OptunaJournalWriter(url: url, study: mapping.study)
        try writer.update(Self.describe(trials, mapping, store))
    }

    /// After `addTrials`: the new trials appear as WAITING.
    public func trialsAdded() throws {
        let trials = try store.trials(sweepID: sweep.id)
        mapping = OptunaSweepMapping(sweepName: sweep.name, objective: mapping.objective, trials: trials)
        let known = writer.optunaNumbers
        try writer.update(Self.describe(trials.filter { known[$0.number] == nil }, mapping, store))
    }

    /// After any store call that changed one trial's state or figures: `claim` (→ RUNNING),
    /// `finish` (→ COMPLETE or FAIL with its value and user attributes), `release`
    /// (→ WAITING), `cancel` (→ FAIL), `requeue` (a new Optuna trial, WAITING).
    public func trialChanged(_ trialID: Int64) throws {
        guard let trial = try store.trial(id: trialID) else { throw StoreError.noSuchTrial(trialID) }
        try writer.update([mapping.describe(trial, epochs: try store.epochs(trialID: trialID))])
    }

    /// After `recordEpoch`: the epoch's point of the learning curve.
    public func epochRecorded(_ trialID: Int64, _ epoch: EpochRecord) throws {
        guard let trial = try store.trial(id: trialID),
              let value = mapping.objective.epochValue(epoch, trial.config) else { return }
        try writer.report(key: trial.number, step: epoch.epoch, value: value)
    }

    /// The whole sweep as a new journal at `url` (replacing any file there atomically).
    public static func export(to url: URL, sweep: SweepRecord, objective: OptunaObjective, store: any TrialStoreReader) throws {
        let trials = try store.trials(sweepID: sweep.id)
        let mapping = OptunaSweepMapping(sweepName: sweep.name, objective: objective, trials: trials)
        try OptunaJournalWriter.writeWhole(to: url, study: mapping.study, trials: describe(trials, mapping, store))
    }

    /// In trial-number order, so that in a new journal Optuna's trial numbers are lipsweep's.
    private static func describe(_ trials: [TrialRecord], _ mapping: OptunaSweepMapping, _ store: any TrialStoreReader) throws -> [OptunaTrialDescription] {
        try trials.sorted { $0.number < $1.number }.map { mapping.describe($0, epochs: try store.epochs(trialID: $0.id)) }
    }
}
