import Foundation
import TrialProtocol

/// Where trials run: worker processes on this machine (`LocalExecutor`) or SLURM job arrays
/// (`SlurmExecutor`). An executor launches workers and reports what they did; it never writes
/// the store. The bookkeeping both share — storing epochs, finishing trials with their QG,
/// retries with backoff, progress — is the `TrialLedger`'s, and the loop that drives them is
/// the `SweepDriver`'s, so a third executor implements only this protocol, as a
/// `TrialExecutorKind` registered in `ExecutorKinds.all` with its option keys in
/// `ExecutorKeys` (ExecutorKinds.swift).
protocol TrialExecutor: AnyObject {
    /// How many more trials it may start now.
    var capacity: Int { get }
    /// Whether a clean stop must wait for workers this process holds (local processes: yes;
    /// SLURM jobs keep running when the client stops).
    var holdsWorkers: Bool { get }

    /// Starts workers for `trials`, already claimed by the ledger (`trials` are the records
    /// as they were before the claim, so `startedAt` tells a first start from a resume). All or
    /// nothing: when it throws, none of them has a worker. Returns each trial's worker.
    func launch(_ trials: [TrialRecord]) throws -> [Int64: WorkerHandle]

    /// What happened since the last call, waiting up to `timeout` seconds for something.
    func poll(timeout: TimeInterval) throws -> [TrialEvent]

    /// Stops the workers of `trials`, which the pruner ended (the store already holds them as
    /// `pruned`; whatever their workers still report is ignored) or made wait at a rung (their
    /// exit gives them back to pending): local workers get SIGTERM, then SIGKILL if alive 5 s
    /// later; SLURM tasks are scancelled.
    func stop(_ trials: [TrialRecord]) throws

    /// A clean stop (SIGINT/SIGTERM): local workers are asked to stop and their exits come back
    /// from `poll` as `.released`; SLURM jobs are left running.
    func stopAll()

    /// The driver is leaving because of an error: no worker may run on unattended (the next
    /// run finds their trials `running` and resumes them).
    func abandon()

    /// Seconds of worker lifetime so far (for the slot utilisation of local runs; 0 elsewhere).
    var busySeconds: Double { get }
}

/// The worker of a trial's current attempt, recorded in the store (`worker_pid`, `job_id`).
enum WorkerHandle: Equatable {
    case process(pid: Int32)
    /// A SLURM array task, "ARRAYJOB_TASK".
    case job(id: String)
}

/// What an executor saw a worker do.
enum TrialEvent {
    /// An epoch line (`replayed`: re-sent from a checkpoint on resume).
    case epoch(trialID: Int64, EpochRecord, replayed: Bool)
    /// The Appendix C histograms of a completed trial's generator.
    case histograms(trialID: Int64, HistogramsLine)
    /// A line that is not the protocol: logged, never stored.
    case unrecognised(trialID: Int64, String)
    /// The worker printed its end line (completed or diverged) and is done.
    case ended(trialID: Int64, WorkerLine.EndLine)
    /// The attempt ended without an end line; `configRejected` when the worker refused its
    /// config (exit code 2: retrying cannot help). `log` is the worker's log file.
    case attemptFailed(trialID: Int64, reason: String, configRejected: Bool, log: String)
    /// The worker found the disk full (it exited with `OutOfSpace.exitStatus`, or its stderr
    /// says so): not the trial's fault and no retry can help, so the driver stops the sweep and
    /// the trial goes back to pending uncharged. `path`: what could not be written.
    case outOfSpace(trialID: Int64, path: String)
    /// The trial holds no worker through no fault of its own (a clean stop, a client that died
    /// between claiming and submitting): back to pending, the attempt given back.
    case released(trialID: Int64)
}
