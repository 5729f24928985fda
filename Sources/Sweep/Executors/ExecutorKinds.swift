import Foundation

/// A kind of executor, registered under its `executor.kind` name in `ExecutorKinds.all`: how
/// its settings read, how it is built for a sweep, and what a scheduler that died left of its
/// workers. Its option keys are rows of `ExecutorKeys` owned by the kind. `SweepRunner`,
/// `DetachedSweep` and the commands go through this protocol and name no concrete kind.
protocol TrialExecutorKind: TrialExecutor {
    static var kind: ExecutorKind { get }
    static var runsDetached: Bool { get }
    static func makeDetached(_ context: ExecutorContext) -> (any DetachedExecutor)?
    /// Where it runs, for messages ("SLURM").
    static var displayName: String { get }
    /// How a new sweep's log line says where it runs: "2 worker(s) × 1 thread(s)".
    static func describe(_ settings: ExecutorConfig) -> String
    /// The settings as stored with the sweep (SLURM: the spool as an absolute path, so
    /// `sync` from any directory finds it).
    static func resolve(_ settings: inout ExecutorConfig, results: ResultsDirectory, sweep: String)
    /// A scheduler that died (kill -9, power loss) left `stored` trials `running`: those whose
    /// workers this kind started and nothing follows any more go back to pending, their
    /// workers stopped first.
    static func recoverInterrupted(_ stored: [TrialRecord], store: any TrialStore, results: ResultsDirectory, sweep: String) throws
    /// The executor of a sweep's run or `sync`.
    static func make(_ context: ExecutorContext) -> Self
}

extension TrialExecutorKind {
    /// Whether its workers run on without lipsweep attached (`run --detach`, `sync`, `cancel`).
    static var runsDetached: Bool { false }
    /// The executor of `sync` and `cancel`; nil for a kind whose workers need lipsweep attached.
    static func makeDetached(_ context: ExecutorContext) -> (any DetachedExecutor)? { nil }
}

extension DetachedExecutor {
    static var runsDetached: Bool { true }
    static func makeDetached(_ context: ExecutorContext) -> (any DetachedExecutor)? { make(context) }
}

/// An executor whose workers run on without lipsweep attached (SLURM): `run --detach` submits
/// and returns, `sync` continues with the driver's steps, `cancel` stops the workers.
protocol DetachedExecutor: TrialExecutorKind {
    /// Poll at once on the next call, whatever the poll interval.
    func pollNow()
    /// Stops the workers of `trials` (running, with a job) and waits until they are gone;
    /// returns what they reported before they stopped.
    func cancel(_ trials: [TrialRecord]) throws -> [TrialEvent]
}

/// What an executor may ask of the sweep it runs (the ledger answers): the sweep, its trials,
/// the log. An executor never writes the store.
protocol ExecutorHost: AnyObject {
    var sweepName: String { get }
    /// Every trial of the sweep, as last read.
    var allTrials: [TrialRecord] { get }
    var running: [TrialRecord] { get }
    /// Remembers the last stored epoch of a running trial first seen by this process.
    func noteStoredEpochs(of trial: TrialRecord) throws
    func log(_ message: String)
}

/// What building an executor takes.
struct ExecutorContext {
    let settings: ExecutorConfig
    let results: ResultsDirectory
    let sweep: String
    let worker: any WorkerKind
    let host: any ExecutorHost
}

enum ExecutorKinds {
    static let all: [any TrialExecutorKind.Type] = [LocalExecutor.self, SlurmExecutor.self]

    static func named(_ kind: ExecutorKind) -> (any TrialExecutorKind.Type)? { all.first { $0.kind == kind } }

    /// The kinds whose workers run without lipsweep attached.
    static var detached: [ExecutorKind] { all.filter { $0.runsDetached }.map { $0.kind } }
}

extension ExecutorKind {
    /// The registered kinds, in registration order.
    public static var registered: [ExecutorKind] { ExecutorKinds.all.map { $0.kind } }
    /// Those whose workers run without lipsweep attached (`run --detach`, `sync`, `cancel`).
    public static var detached: [ExecutorKind] { ExecutorKinds.detached }
    public var runsDetached: Bool { ExecutorKind.detached.contains(self) }
    public var displayName: String { ExecutorKinds.named(self)?.displayName ?? rawValue }
}
